"""One Lambda execution environment: a separate interpreter that imports the handler once and serves invokes.

Started by tools/emulator/invoker.py as `python worker.py <request_fd> <response_fd>` with the function's
environment and PYTHONPATH = code dir + layer dirs; it sets RLIMIT_AS to the function's memory first.
Requests and responses are single JSON lines on dedicated pipes so the handler's own stdout/stderr (its
"CloudWatch logs") stay separate. This file must not import anything from the repository: the handler sees
only its zip, its layers and the interpreter's site-packages, as in Lambda.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
import time
import traceback
from typing import Any

# Lambda's memory limit: the whole address space of this process, soft and hard (the function cannot raise it).
_LIMIT = int(os.environ.pop("EMULATOR_MEMORY_LIMIT_MB", "0")) * 1024 * 1024
if _LIMIT:
    resource.setrlimit(resource.RLIMIT_AS, (_LIMIT, _LIMIT))

# Running a script puts its own directory first on sys.path; the function must not see it.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)


class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools use."""

    def __init__(self, request_id: str, deadline: float) -> None:
        name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        region = os.environ.get("AWS_REGION", "us-east-1")
        self.function_name = name
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = os.environ.get(
            "EMULATOR_FUNCTION_ARN", f"arn:aws:lambda:{region}:123456789012:function:{name}"
        )
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", f"/aws/lambda/{name}")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        self.identity = None
        self.client_context = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def _load_handler() -> Any:
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    return getattr(importlib.import_module(module_name), function_name)


def _error(exc: BaseException) -> dict[str, Any]:
    return {
        "ok": False,
        "errorType": type(exc).__name__,
        "errorMessage": str(exc)[:1000],
        "stackTrace": traceback.format_exception(exc)[-20:],
    }


def main() -> None:
    request_fd, response_fd = int(sys.argv[1]), int(sys.argv[2])
    requests = os.fdopen(request_fd, "r", encoding="utf-8")
    responses = os.fdopen(response_fd, "w", encoding="utf-8")
    handler: Any = None
    init_error: dict[str, Any] | None = None
    try:
        handler = _load_handler()  # the init phase, once per environment
    except BaseException as exc:  # reported to the invoker like Lambda's Runtime.ImportModuleError
        init_error = _error(exc)
        traceback.print_exc()
    # The init phase has its own time limit in Lambda; the invoke timeout starts after this line.
    responses.write(json.dumps({"ready": True}) + "\n")
    responses.flush()
    for line in requests:
        request = json.loads(line)
        if init_error is not None:
            response = init_error
        else:
            context = LambdaContext(request["request_id"], request["deadline"])
            try:
                result = handler(request["event"], context)
                response = {"ok": True, "result": result}
            except MemoryError as exc:
                traceback.print_exc()
                response = _error(exc)
            except Exception as exc:  # any handler error is a failed invoke
                traceback.print_exc()
                response = _error(exc)
        sys.stdout.flush()
        sys.stderr.flush()
        responses.write(json.dumps(response, default=str) + "\n")
        responses.flush()


if __name__ == "__main__":
    main()
