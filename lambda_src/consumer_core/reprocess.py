"""Reprocess requests: what the reprocess workflow (modules/reprocess_workflow) puts on a consumer's buffer queue
for each upload of a run, and how an image consumer turns one into the upload version it processes.

A request names an object as the workflow's listing saw it (bucket, key, ETag, size) and the run
(`detail.run`, the execution's name unless the run continues an earlier one). It has no version id and no S3
sequencer: listings carry neither, and sequencers exist only in S3's own events.

Idempotency (the choice, docs/reprocess.md): a request's identity is the object *and its run*
(`s3://<bucket>/<key>?etag=<etag>&reprocess=<run>`), never only the object version a live upload is keyed on. So a
run is never swallowed as a duplicate of the live upload, or of an earlier run, within the idempotency TTL: every
run regenerates every object once, whether the settings changed, the code did, or nothing did. Within a run, a
request sent again (a redriven batch, a restarted run) is replayed from the idempotency store: processed once.

Processing (`reprocessable`): the request is resolved to the version S3 serves now (HeadObject, If-Match the
listed ETag), then processed exactly like that version's `Object Created`: outputs are named after its version id,
so they replace the live upload's. An object overwritten since the listing (412) or deleted (404) is skipped: its
own S3 events take care of it. The domain events it announces carry a `reprocess` block (run, generated_at) and
`object.sequencer` "0" (schemas/README.md, version 1.1): the search indexer ranks them by the version they name and
the newest generation wins, so a reprocess result never loses to, or is swallowed by, the live one.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote_plus

from consumer_core.clients import client
from consumer_core.errors import PermanentError, client_error_code
from consumer_core.event_types import OBJECT_CREATED, PIPELINE_SOURCE, REPROCESS_REQUESTED
from consumer_core.events import MAX_KEY_BYTES, S3ObjectEvent, parse_s3_event

SUPPORTED_MAJOR = "1"
# What an S3 event's sequencer is replaced with in the results of a reprocess: the lowest value of a hex string.
# A 1.0 consumer ranks such a result below every change of its key (and ignores it); search_indexer reads the
# `reprocess` block and ranks it by the version it names.
REPROCESS_SEQUENCER = "0"
# A run is an execution name (AWS: 1-80 of letters, digits, '-' and '_'); anything else is not a request of ours.
_RUN = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
# HeadObject errors that mean the listed object is no longer there to reprocess: overwritten (If-Match failed) or
# deleted. (Without s3:ListBucket S3 answers 403 for a missing key; that is left to the usual classification.)
_SKIP_CODES = frozenset({"PreconditionFailed", "412", "NoSuchKey", "NotFound", "404"})

# HeadObject is authorised as s3:GetObject (the version S3 serves now: no version id, so not GetObjectVersion).
IAM_ACTIONS = frozenset({"s3:GetObject"})


@dataclass
class ReprocessRequest:
    """One upload of a reprocess run. `resolved` is set once the request is resolved to the version S3 serves."""

    run: str
    requested_at: str
    bucket: str
    key: str
    etag: str | None
    size: int | None
    raw: dict[str, Any]
    resolved: S3ObjectEvent | None = field(default=None, compare=False, repr=False)

    @property
    def identity(self) -> str:
        """The idempotency key: the object as listed, and the run (see the module docstring)."""
        return f"s3://{self.bucket}/{quote(self.key, safe='/')}?etag={self.etag or ''}&reprocess={self.run}"

    def context(self) -> dict[str, str]:
        """Log keys and DLQ attributes naming the object (its version once resolved, else the listed ETag)."""
        version = self.resolved.version_or_etag if self.resolved is not None else (self.etag or "unresolved")
        return {"bucket": self.bucket, "object_key": self.key, "object_version": version, "reprocess_run": self.run}

    def mark(self) -> dict[str, str]:
        """The `reprocess` block of the domain events this request's processing announces."""
        return {"run": self.run, "generated_at": _now()}


def is_reprocess_request(event: Any) -> bool:
    return isinstance(event, dict) and event.get("detail-type") == REPROCESS_REQUESTED


def parse_reprocess_request(event: Any) -> ReprocessRequest:
    """Validate a `Reprocess Requested` event (schemas/image-pipeline/reprocess-requested.v1.json); anything
    malformed is a PermanentError."""
    if not isinstance(event, dict) or event.get("source") != PIPELINE_SOURCE or not is_reprocess_request(event):
        raise PermanentError("unsupported_event", "not a Reprocess Requested event of the pipeline")
    detail = _field(event, "detail", dict)
    version = str(_field(detail, "schema_version", str))
    if version.split(".")[0] != SUPPORTED_MAJOR:
        raise PermanentError("unsupported_event", f"Reprocess Requested schema_version {version} is not 1.x")
    run = _field(detail, "run", str)
    if not _RUN.fullmatch(run):
        raise PermanentError("invalid_event", "run must be 1-80 letters, digits, '-' or '_'")
    obj = _field(detail, "object", dict)
    encoding = obj.get("key_encoding", "none")
    if encoding not in ("none", "url"):
        raise PermanentError("invalid_event", f"object.key_encoding must be none or url, got {encoding!r}")
    raw_key = _field(obj, "key", str)
    try:
        # S3 Inventory reports URL-encode keys (a space may be '+'); listings give them as they are.
        key = unquote_plus(raw_key, errors="strict") if encoding == "url" else raw_key
    except UnicodeDecodeError:
        raise PermanentError("invalid_event", "object key is not valid percent-encoded UTF-8") from None
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise PermanentError("invalid_event", f"object key longer than {MAX_KEY_BYTES} bytes")
    etag, size = obj.get("etag"), obj.get("size")
    return ReprocessRequest(
        run=run,
        requested_at=str(event.get("time") or ""),
        bucket=_field(_field(detail, "bucket", dict), "name", str),
        key=key,
        etag=(etag.strip('"') or None) if isinstance(etag, str) else None,
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        raw=event,
    )


def parse_upload_event(event: Any) -> S3ObjectEvent | ReprocessRequest:
    """The image consumers' parser: an S3 event, or a reprocess request."""
    return parse_reprocess_request(event) if is_reprocess_request(event) else parse_s3_event(event)


def resolve(request: ReprocessRequest) -> S3ObjectEvent | None:
    """The `Object Created` of the version S3 serves for the request's key, if it is still the listed one; None
    when the object was overwritten (If-Match fails: 412) or deleted (404) since it was listed. Sets
    `request.resolved`."""
    params: dict[str, str] = {"Bucket": request.bucket, "Key": request.key}
    if request.etag:
        params["IfMatch"] = f'"{request.etag}"'
    try:
        head = client("s3").head_object(**params)
    except Exception as exc:
        if client_error_code(exc) in _SKIP_CODES:
            return None
        raise
    modified = head.get("LastModified")
    version_id = head.get("VersionId")
    request.resolved = S3ObjectEvent(
        detail_type=OBJECT_CREATED,
        event_id=str(request.raw.get("id") or ""),
        event_time=modified.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(modified, "strftime") else "",
        bucket=request.bucket,
        key=request.key,
        version_id=version_id if version_id not in (None, "", "null") else None,
        etag=str(head.get("ETag") or request.etag or "").strip('"') or None,
        size=head.get("ContentLength", request.size),
        sequencer=REPROCESS_SEQUENCER,
        reason="Reprocess",
        deletion_type=None,
        raw=request.raw,
    )
    return request.resolved


def reprocessable(
    process: Callable[[S3ObjectEvent], dict[str, Any]],
) -> Callable[[S3ObjectEvent | ReprocessRequest], dict[str, Any]]:
    """Wrap a consumer's `process(S3ObjectEvent)` so it also takes reprocess requests: resolved, processed as their
    version's `Object Created`, their domain events marked with the run and the time they were generated."""

    def run(model: S3ObjectEvent | ReprocessRequest) -> dict[str, Any]:
        if not isinstance(model, ReprocessRequest):
            return process(model)
        event = resolve(model)
        if event is None:
            from consumer_core.observability import logger, metrics

            metrics.add_metric(name="ReprocessSkipped", unit="Count", value=1)
            logger.info("reprocess request skipped: the listed object was overwritten or deleted since")
            return {"status": "superseded", "events": []}
        mark = model.mark()
        result = dict(process(event))
        result["reprocess"] = mark
        result["events"] = [with_mark(item, mark) for item in result.get("events", ())]
        return result

    return run


def with_mark(item: dict[str, Any], mark: dict[str, str]) -> dict[str, Any]:
    """A domain event (consumer_core.results.event) carrying the `reprocess` block."""
    return {**item, "detail": {**item["detail"], "reprocess": mark}}


def _now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"


def _field(container: dict[str, Any], name: str, kind: type) -> Any:
    value = container.get(name)
    if not isinstance(value, kind) or (kind is str and not value):
        raise PermanentError("invalid_event", f"field {name!r} missing or not a {kind.__name__}")
    return value


__all__ = [
    "IAM_ACTIONS",
    "REPROCESS_SEQUENCER",
    "ReprocessRequest",
    "is_reprocess_request",
    "parse_reprocess_request",
    "parse_upload_event",
    "reprocessable",
    "resolve",
    "with_mark",
]
