"""The event types the indexer consumes, parsed into one typed model: the five of the live pipeline, and the
reprocess workflow's `Reprocess Requested` (consumer_core.reprocess).

S3 `Object Created` / `Object Deleted` are parsed by consumer_core (key decoding, emulator tolerance); the
pipeline's own domain events (schemas/image-pipeline/*.v1.json) are checked here for the fields the index needs,
and for authenticity: the outputs a domain event reports must lie under the derived prefix of the very upload
version it is about (consumer_core.naming.version_prefix). Anything else is `forged_event`: such an event could
otherwise make the indexer delete another upload's outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from consumer_core.errors import PermanentError
from consumer_core.event_types import (
    DOMAIN_DETAIL_TYPES,
    IMAGE_REJECTED,
    METADATA_EXTRACTED,
    OBJECT_CREATED,
    OBJECT_DELETED,
    PIPELINE_SOURCE,
    REPROCESS_REQUESTED,
    S3_DETAIL_TYPES,
    S3_SOURCE,
    THUMBNAILS_GENERATED,
)
from consumer_core.naming import version_prefix, version_token
from search_indexer import sequencer as seqs
from search_indexer.layout import KeyLayoutError, item_pk, owner_of
from search_indexer.settings import output_prefixes

SUPPORTED_MAJOR = "1"
# Short names for the types, as the index code uses them.
CREATED, DELETED = OBJECT_CREATED, OBJECT_DELETED
THUMBNAILS, METADATA, REJECTED = THUMBNAILS_GENERATED, METADATA_EXTRACTED, IMAGE_REJECTED
REPROCESS = REPROCESS_REQUESTED

# S3 `deletion-type` of a delete that removes one version only (other versions may still be current).
PERMANENTLY_DELETED = "Permanently Deleted"


@dataclass(frozen=True)
class IndexEvent:
    detail_type: str
    bucket: str
    key: str
    owner: str
    version_id: str | None
    sequencer: str  # normalised: upper case, left-padded (search_indexer.sequencer)
    event_time: str  # when S3 recorded the object change (the upload time for Object Created)
    size: int | None = None
    etag: str | None = None
    deletion_type: str | None = None
    thumbnails: tuple[dict[str, Any], ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    metadata_key: str | None = None
    consumer: str | None = None
    reason: str | None = None
    message: str | None = None
    # Results of a reprocess run, and the run of a reprocess request: the run and when the result was generated
    # (the newest generation of a consumer's result wins: search_indexer.state).
    reprocess_run: str | None = None
    generated_at: str | None = None

    @property
    def pk(self) -> str:
        return item_pk(self.bucket, self.key)

    @property
    def token(self) -> str:
        """The upload version this event is about (its version id; its ETag in an unversioned bucket)."""
        return version_token(self.version_id, self.etag)

    def context(self) -> dict[str, str]:
        """Log keys and DLQ attributes naming the object."""
        return {"bucket": self.bucket, "object_key": self.key, "object_version": self.token}

    @property
    def is_version_delete(self) -> bool:
        """A permanent delete of one named version: the key itself may still have a current version."""
        return self.detail_type == DELETED and self.deletion_type == PERMANENTLY_DELETED and bool(self.version_id)

    @property
    def derived_keys(self) -> tuple[str, ...]:
        """S3 keys this event reports as written (outputs to delete with the image)."""
        keys = [t["key"] for t in self.thumbnails]
        if self.metadata_key:
            keys.append(self.metadata_key)
        return tuple(keys)

    @property
    def generation(self) -> tuple[str, str] | None:
        """Which generation of results this event is (a reprocess run's); None for the live pipeline's."""
        return (self.generated_at or "", self.reprocess_run) if self.reprocess_run is not None else None

    @property
    def identity(self) -> str:
        """Idempotency key: one per (event type, object change[, consumer][, reprocess run]); never the
        EventBridge event id. A reprocess run's events have keys of their own, so the results of a run are never
        taken for replays of the live upload's (consumer_core.reprocess)."""
        ident = (
            f"{self.detail_type}:s3://{self.bucket}/{quote(self.key, safe='/')}"
            f"?sequencer={self.sequencer}&version={self.version_id or ''}"
        )
        if self.detail_type == REPROCESS:
            ident = f"{ident}&etag={self.etag or ''}"
        if self.consumer:
            ident = f"{ident}&consumer={self.consumer}"
        return f"{ident}&reprocess={self.reprocess_run}" if self.reprocess_run is not None else ident


def parse_index_event(event: Any) -> IndexEvent:
    """Parse any event the indexer consumes; malformed or foreign events raise PermanentError."""
    if not isinstance(event, dict):
        raise PermanentError("invalid_event", f"event must be a JSON object, got {type(event).__name__}")
    source, detail_type = event.get("source"), event.get("detail-type")
    if source == S3_SOURCE and detail_type in S3_DETAIL_TYPES:
        return _from_s3(event)
    if source == PIPELINE_SOURCE and detail_type in DOMAIN_DETAIL_TYPES:
        return _from_domain(event)
    if source == PIPELINE_SOURCE and detail_type == REPROCESS:
        return _from_reprocess_request(event)
    raise PermanentError("unsupported_event", f"the search indexer does not consume {source!r} {detail_type!r}")


def _from_s3(event: dict[str, Any]) -> IndexEvent:
    from consumer_core.events import parse_s3_event

    s3 = parse_s3_event(event)
    return IndexEvent(
        detail_type=s3.detail_type,
        bucket=s3.bucket,
        key=s3.key,
        owner=_owner(s3.key),
        version_id=s3.version_id,
        sequencer=_sequencer(s3.sequencer),
        event_time=s3.event_time,
        size=s3.size,
        etag=s3.etag,
        deletion_type=s3.deletion_type,
    )


def _from_reprocess_request(event: dict[str, Any]) -> IndexEvent:
    """A reprocess run's request: the indexer re-derives the key's record with its current code (search_indexer
    .state); the request names no version and no sequencer, which that needs neither of."""
    from consumer_core.reprocess import REPROCESS_SEQUENCER, parse_reprocess_request

    request = parse_reprocess_request(event)
    return IndexEvent(
        detail_type=REPROCESS,
        bucket=request.bucket,
        key=request.key,
        owner=_owner(request.key),
        version_id=None,
        sequencer=_sequencer(REPROCESS_SEQUENCER),
        event_time=request.requested_at,
        size=request.size,
        etag=request.etag,
        reprocess_run=request.run,
    )


def _from_domain(event: dict[str, Any]) -> IndexEvent:
    detail_type = event["detail-type"]
    detail = _require(event, "detail", dict)
    version = str(_require(detail, "schema_version", str))
    if version.split(".")[0] != SUPPORTED_MAJOR:
        raise PermanentError("unsupported_event", f"{detail_type} schema_version {version} is not 1.x")
    reprocess: dict[str, Any] = {}
    if "reprocess" in detail:
        mark = _require(detail, "reprocess", dict)
        reprocess = {"reprocess_run": _require(mark, "run", str), "generated_at": _require(mark, "generated_at", str)}
    obj = _require(detail, "object", dict)
    bucket, key = _require(obj, "bucket", str), _require(obj, "key", str)
    version_id = obj.get("version_id") or None
    etag = obj.get("etag") if isinstance(obj.get("etag"), str) else None
    common: dict[str, Any] = {
        "detail_type": detail_type,
        "bucket": bucket,
        "key": key,
        "owner": _owner(key),
        "version_id": version_id,
        "etag": etag,
        "sequencer": _sequencer(obj.get("sequencer")),
        "event_time": _require(obj, "event_time", str),
        **reprocess,
    }
    # The producers name outputs after the version token they computed from this same object block.
    token = version_token(version_id, etag, obj.get("sequencer"))
    prefixes = output_prefixes()
    if detail_type == THUMBNAILS:
        thumbnails = _require(detail, "thumbnails", list)
        if not thumbnails or not all(isinstance(t, dict) and isinstance(t.get("key"), str) for t in thumbnails):
            raise PermanentError("invalid_event", "thumbnails must be a non-empty list of objects with a key")
        _authentic([t["key"] for t in thumbnails], version_prefix(prefixes.thumbnails, key, token))
        return IndexEvent(**common, thumbnails=tuple(thumbnails))
    if detail_type == METADATA:
        metadata = _require(detail, "metadata", dict)
        _require(metadata, "sha256", str)
        metadata_key = _require(detail, "metadata_key", str)
        _authentic([metadata_key], version_prefix(prefixes.metadata, key, token))
        return IndexEvent(**common, metadata=metadata, metadata_key=metadata_key)
    return IndexEvent(
        **common,
        consumer=_require(detail, "consumer", str),
        reason=_require(detail, "reason", str),
        message=str(detail.get("message") or ""),
    )


def _authentic(keys: list[str], prefix: str) -> None:
    foreign = [key for key in keys if not key.startswith(prefix) or "/../" in key or key.endswith("/..")]
    if foreign:
        raise PermanentError(
            "forged_event", f"outputs outside this upload's derived prefix {prefix!r}: {', '.join(foreign[:3])}"
        )


def _require(container: dict[str, Any], name: str, kind: type) -> Any:
    value = container.get(name)
    if not isinstance(value, kind) or (kind is str and not value):
        raise PermanentError("invalid_event", f"field {name!r} missing or not a {kind.__name__}")
    return value


def _owner(key: str) -> str:
    try:
        return owner_of(key)
    except KeyLayoutError as exc:
        raise PermanentError("invalid_event", str(exc)) from None


def _sequencer(value: str | None) -> str:
    try:
        return seqs.normalize(value)
    except seqs.SequencerError as exc:
        raise PermanentError("invalid_event", str(exc)) from None
