"""Step Functions on moto 5.2.5: what the reprocess workflow (modules/reprocess_workflow) needs of moto's ASL
interpreter that it lacks, patched the way tools/emulator/patches.py patches moto (in-process, documented in
tools/emulator/README.md with the AWS documentation each follows, each with a test that fails on stock moto).

moto runs state machines only when asked (`execute_state_machine`, switched on by `enable_execution`, which the
emulator server calls before it serves, patched or not: moto's settings, not a patch); its interpreter is
LocalStack's, and it calls AWS through boto3 clients pointed at `localhost:$MOTO_PORT`, which `enable_execution`
sets to the server's port.

Patches (names as in patches.PATCHES; tests in tests/integration/test_moto_stepfunctions.py):
- `sfn-validate-definition`: ValidateStateMachineDefinition (the aws provider validates every definition at plan
  time) and ListStateMachineVersions are not implemented (HTTP 500).
- `sfn-item-batcher`: the ASL parser rejects `ItemBatcher` and `ProcessorConfig.ExecutionType: EXPRESS`, and a
  Distributed Map ignores `ToleratedFailureCount`/`ToleratedFailurePercentage` (a failed child never fails the Map
  Run). Batches are built as AWS documents them; Express children run like Standard ones (in-process, once).
- `sfn-item-reader-s3`: the `s3:listObjectsV2` ItemReader reads one page only and returns boto3's shape (`ETag`, a
  datetime `LastModified` the interpreter cannot serialise); the `MANIFEST` input type (an S3 Inventory
  manifest.json and its gzipped CSV files) is not implemented.
- `sfn-context-start-time`: `$$.Execution.StartTime` is a datetime object, not AWS's ISO 8601 string.
- `sfn-jsonpath-filter-empty`: a filter that matches nothing fails the state instead of giving an empty list.
"""

from __future__ import annotations

import copy
import csv
import gzip
import io
import json
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

_MAP_MARKER = "__emulator_map_state_{}__"
_BATCHERS: dict[str, dict[str, Any]] = {}
_BATCHERS_LOCK = threading.Lock()
_MANIFEST = "MANIFEST"


def enable_execution(port: int) -> None:
    """Run state machines (moto's `execute_state_machine` setting) and point the interpreter's own AWS calls at
    this server (it builds boto3 clients for `localhost:$MOTO_PORT`)."""
    from moto.core.config import default_user_config

    default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True
    os.environ["MOTO_PORT"] = str(port)


# --- sfn-validate-definition ---------------------------------------------------------------------------


def _validate_definition_api() -> None:
    """ValidateStateMachineDefinition (AWS: result OK or FAIL with diagnostics) checks the definition with the ASL
    parser executions use; ListStateMachineVersions lists none (the stack publishes no versions)."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def validate_state_machine_definition(self: Any) -> ActionResult:
        from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

        definition = self._get_param("definition")
        try:
            AmazonStateLanguageParser.parse(definition)
        except Exception as exc:  # the parser's error is the diagnostic
            diagnostic = {"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": str(exc)[:1000]}
            return ActionResult({"result": "FAIL", "diagnostics": [diagnostic], "truncated": False})
        return ActionResult({"result": "OK", "diagnostics": [], "truncated": False})

    def list_state_machine_versions(self: Any) -> ActionResult:
        return ActionResult({"stateMachineVersions": []})

    StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition  # type: ignore[attr-defined]
    StepFunctionResponse.list_state_machine_versions = list_state_machine_versions  # type: ignore[attr-defined]


# --- sfn-context-start-time ----------------------------------------------------------------------------


def _context_start_time() -> None:
    """`$$.Execution.StartTime` is a datetime object in moto's context object, which breaks every service call
    that passes it on (JSON serialisation); AWS gives an ISO 8601 string ("Context object": StartTime, e.g.
    2019-03-26T20:14:13.192Z)."""
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original = ExecutionWorker._get_evaluation_environment

    def _get_evaluation_environment(self: Any) -> Any:
        env = original(self)
        execution = env.states.context_object.context_object_data["Execution"]
        started = execution.get("StartTime")
        if hasattr(started, "isoformat"):
            execution["StartTime"] = started.strftime("%Y-%m-%dT%H:%M:%S.") + f"{started.microsecond // 1000:03d}Z"
        return env

    ExecutionWorker._get_evaluation_environment = _get_evaluation_environment  # type: ignore[method-assign]


# --- sfn-jsonpath-filter-empty -------------------------------------------------------------------------


def _jsonpath_filter_empty() -> None:
    """A filter expression (`$.items[?(@.send == true)]`) that matches nothing fails the state in moto ("could not
    be found"); Step Functions' JsonPath (Jayway's, which its Paths documentation links to) returns an empty list
    for an indefinite path, as moto already does for wildcards and slices (LocalStack PR #12366)."""
    from moto.stepfunctions.parser.asl.utils import json_path

    original: Callable[[str], bool] = json_path._contains_slice_or_wildcard_array

    def indefinite(path: str) -> bool:
        return "[?(" in path or original(path)

    json_path._contains_slice_or_wildcard_array = indefinite


# --- sfn-item-batcher ------------------------------------------------------------------------------------


def _item_batcher() -> None:
    """Definitions are parsed without the fields moto's grammar lacks (`ItemBatcher`; `EXPRESS` children run as
    Standard ones), and each Distributed Map gets its batcher back after parsing. A Map Run then batches its items
    as AWS does ("ItemBatcher (Map)"): ItemSelector applied to each item first, at most MaxItemsPerBatch(Path) items
    and MaxInputBytesPerBatch(Path) bytes a batch, each child's input {"Items": [...], "BatchInput": {...}}; and it
    fails with States.ExceedToleratedFailureThreshold when more items failed than ToleratedFailureCount or
    ToleratedFailurePercentage allow ("Setting failure thresholds for Distributed Map states")."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        distributed_iteration_component as distributed,
    )
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    original_parse = AmazonStateLanguageParser.parse
    original_map_run = distributed.DistributedIterationComponent._map_run

    def parse(definition: str) -> Any:
        stripped, batchers = _strip_unsupported(definition)
        program, tree = original_parse(stripped)
        if batchers:
            _attach_batchers(program, batchers)
        return program, tree

    def _map_run(self: Any, env: Any, eval_input: Any) -> None:
        batcher = getattr(self, "emulator_item_batcher", None)
        if batcher is None:  # one item a child: the threshold still applies
            total = len(env.stack[-1])
            original_map_run(self, env, eval_input)
            _check_tolerance(env, eval_input, sum(1 for output in env.stack[-1] if output is None), total)
            return
        items = env.stack.pop()
        map_input = env.stack[-1]
        selector = eval_input.item_selector or eval_input.parameters
        if selector is not None:
            items = [_select(env, selector, map_input, index, item) for index, item in enumerate(items)]
            eval_input.item_selector = eval_input.parameters = None
        batches = _batches(env, batcher, map_input, items)
        env.stack.append(batches)
        original_map_run(self, env, eval_input)
        outputs = env.stack[-1]
        failed = sum(len(batch["Items"]) for batch, output in zip(batches, outputs, strict=True) if output is None)
        _check_tolerance(env, eval_input, failed, len(items))

    AmazonStateLanguageParser.parse = staticmethod(parse)  # type: ignore[method-assign,assignment]
    distributed.DistributedIterationComponent._map_run = _map_run  # type: ignore[method-assign]


def _strip_unsupported(definition: str) -> tuple[str, dict[str, dict[str, Any]]]:
    """The definition without ItemBatcher (kept by marker, the Map state's Comment) and with EXPRESS children as
    STANDARD; the original text when there is nothing to strip."""
    try:
        document = json.loads(definition)
    except ValueError:
        return definition, {}
    batchers: dict[str, dict[str, Any]] = {}
    changed = False
    for state in _map_states(document):
        config = (state.get("ItemProcessor") or {}).get("ProcessorConfig") or {}
        if config.get("ExecutionType") == "EXPRESS":
            config["ExecutionType"] = "STANDARD"
            changed = True
        if "ItemBatcher" in state:
            with _BATCHERS_LOCK:
                marker = _MAP_MARKER.format(len(_BATCHERS))
                _BATCHERS[marker] = {"batcher": state.pop("ItemBatcher"), "comment": state.get("Comment")}
            batchers[marker] = _BATCHERS[marker]
            state["Comment"] = marker
            changed = True
    return (json.dumps(document) if changed else definition), batchers


def _map_states(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("Type") == "Map":
            yield node
        for value in node.values():
            yield from _map_states(value)
    elif isinstance(node, list):
        for value in node:
            yield from _map_states(value)


def _attach_batchers(program: Any, batchers: dict[str, dict[str, Any]]) -> None:
    from moto.stepfunctions.parser.asl.component.common.comment import Comment
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap

    for component in _components(program):
        if isinstance(component, StateMap) and component.comment is not None:
            entry = batchers.get(component.comment.comment)
            if entry is None:
                continue
            component.iteration_component.emulator_item_batcher = entry["batcher"]
            component.comment = Comment(entry["comment"]) if entry["comment"] is not None else None


def _components(root: Any) -> Iterator[Any]:
    from moto.stepfunctions.parser.asl.component.component import Component

    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, Component):
            yield node
            stack.extend(vars(node).values())
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)


def _select(env: Any, selector: Any, map_input: Any, index: int, item: Any) -> Any:
    """The ItemSelector applied to one item, as the Map's workers apply it ($ = the Map's input,
    $$.Map.Item = this item)."""
    from moto.stepfunctions.parser.asl.eval.states import ItemData, MapData

    frame = env.open_frame()
    try:
        frame.states.reset(input_value=map_input)
        frame.states.context_object.context_object_data["Map"] = MapData(Item=ItemData(Index=index, Value=item))
        frame.stack.append(map_input)
        selector.eval(frame)
        return frame.stack.pop()
    finally:
        env.delete_frame(frame)


def _evaluate(env: Any, template: dict[str, Any], map_input: Any) -> Any:
    """A payload template (`"key.$": path or intrinsic`) evaluated like a Pass state's Parameters."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": template, "End": True}}})
    program, _ = AmazonStateLanguageParser.parse(definition)
    pass_state = program.states.states["P"]
    frame = env.open_frame()
    try:
        frame.states.reset(input_value=map_input)
        frame.stack.append(map_input)
        pass_state.parameters.eval(frame)
        return frame.stack.pop()
    finally:
        env.delete_frame(frame)


def _batches(env: Any, batcher: dict[str, Any], map_input: Any, items: list[Any]) -> list[dict[str, Any]]:
    paths = {
        f"{name}.$": batcher[f"{name}Path"]
        for name in ("MaxItemsPerBatch", "MaxInputBytesPerBatch")
        if batcher.get(f"{name}Path") is not None
    }
    resolved = _evaluate(env, paths, map_input) if paths else {}
    max_items = int(resolved.get("MaxItemsPerBatch") or batcher.get("MaxItemsPerBatch") or len(items) or 1)
    max_bytes = int(resolved.get("MaxInputBytesPerBatch") or batcher.get("MaxInputBytesPerBatch") or 256 * 1024)
    batch_input = _evaluate(env, batcher["BatchInput"], map_input) if "BatchInput" in batcher else None
    base = len(json.dumps({"Items": [], "BatchInput": batch_input}))
    batches: list[dict[str, Any]] = []
    current: list[Any] = []
    size = base
    for item in items:
        item_size = len(json.dumps(item)) + 1
        if current and (len(current) >= max_items or size + item_size > max_bytes):
            batches.append(current)
            current, size = [], base
        current.append(item)
        size += item_size
    if current:
        batches.append(current)
    return [{"Items": batch, **({"BatchInput": batch_input} if batch_input is not None else {})} for batch in batches]


def _check_tolerance(env: Any, eval_input: Any, failed: int, total: int) -> None:
    from moto.stepfunctions.parser.api import HistoryEventType, MapRunFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    if not failed:
        return
    count = eval_input.tolerated_failure_count or 0
    percentage = eval_input.tolerated_failure_percentage or 0
    if failed <= count or (total and failed * 100 / total <= percentage):
        return
    error_name = StatesErrorName(typ=StatesErrorNameType.StatesExceedToleratedFailureThreshold)
    cause = f"The specified tolerated failure threshold was exceeded: {failed} of {total} items failed"
    raise FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=error_name,
            event_type=HistoryEventType.MapRunFailed,
            event_details=EventDetails(
                mapRunFailedEventDetails=MapRunFailedEventDetails(error=error_name.error_name, cause=cause)
            ),
        )
    )


# --- sfn-item-reader-s3 ----------------------------------------------------------------------------------


def _item_reader_s3() -> None:
    """The `s3:listObjectsV2` ItemReader lists every page and gives each object as AWS does ("ItemReader (Map)",
    S3 objects: `Etag`, `Key`, `LastModified` in epoch seconds, `Size`, `StorageClass`); `InputType: MANIFEST` reads
    an S3 Inventory manifest.json and every gzipped CSV file it lists, with its fileSchema as the item fields."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader import item_reader_decl
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval.resource_eval_s3 import (
        ResourceEvalS3,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.reader_config import input_type

    def _handle_list_objects_v2(env: Any, resource_runtime_part: Any, state_credentials: Any) -> None:
        s3 = ResourceEvalS3._get_s3_client(resource_runtime_part, state_credentials)
        parameters = dict(env.stack.pop())
        items: list[dict[str, Any]] = []
        while True:
            response = s3.list_objects_v2(**parameters)
            for obj in response.get("Contents", []):
                items.append(
                    {
                        "Etag": obj["ETag"],
                        "Key": obj["Key"],
                        "LastModified": int(obj["LastModified"].timestamp()),
                        "Size": obj["Size"],
                        "StorageClass": obj.get("StorageClass", "STANDARD"),
                    }
                )
            if not response.get("IsTruncated"):
                break
            parameters["ContinuationToken"] = response["NextContinuationToken"]
        env.stack.append(items)

    ResourceEvalS3._handle_list_objects_v2 = staticmethod(_handle_list_objects_v2)  # type: ignore[assignment]

    original_input_type_init: Callable[..., None] = input_type.InputType.__init__

    def input_type_init(self: Any, input_type: str) -> None:
        if input_type == _MANIFEST:
            self.input_type_value = _MANIFEST
            return
        original_input_type_init(self, input_type)

    input_type.InputType.__init__ = input_type_init  # type: ignore[method-assign]

    original_factory = item_reader_decl.resource_output_transformer_for

    def resource_output_transformer_for(input_type: Any) -> Any:
        if input_type.input_type_value == _MANIFEST:
            return _ManifestTransformer()
        return original_factory(input_type)

    item_reader_decl.resource_output_transformer_for = resource_output_transformer_for


class _ManifestTransformer:
    """The manifest.json text (what the getObject resource read) -> the rows of every inventory file it lists."""

    def eval(self, env: Any) -> None:
        from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for

        reader_config = env.stack.pop()
        manifest = json.loads(env.stack.pop())
        if manifest.get("fileFormat", "CSV") != "CSV":
            raise ValueError(f"inventory format {manifest.get('fileFormat')!r}: only CSV inventories are read")
        fields = [name.strip() for name in manifest["fileSchema"].split(",")]
        bucket = manifest["destinationBucket"].split(":::")[-1]
        s3 = boto_client_for(region=env.aws_execution_details.region or "us-east-1", service="s3")
        items: list[dict[str, str]] = []
        for entry in manifest["files"]:
            body = s3.get_object(Bucket=bucket, Key=entry["key"])["Body"].read()
            text = gzip.decompress(body).decode("utf-8")
            items.extend(dict(zip(fields, row, strict=False)) for row in csv.reader(io.StringIO(text)))
        max_items = (reader_config or {}).get("MaxItemsValue")
        env.stack.append(copy.deepcopy(items[:max_items] if max_items else items))


__all__ = ["enable_execution"]
