"""Convergent writes to the search index: every event is applied with conditional DynamoDB updates so the record
ends the same whatever the order of arrival and however many duplicates.

One item per S3 key. Its `seq` is the sequencer of the newest object change seen for the key (the "generation").
- An event of a newer generation *advances* the item: it sets its own attributes and removes every attribute
  of the older generation (condition: stored seq < event seq).
- An event of the current generation *merges* its own attributes (condition: stored seq = event seq, not deleted).
- Anything else is stale: ignored and counted, never an error.
Each event type owns its attributes (see OWNED), so merges of one generation commute.

Deletes:
- a key-level delete (delete marker, or any delete in an unversioned bucket) is a generation too: a tombstone
  (`deleted`, no owner/uploaded_at/sha256, so no GSI sees it) that wins ties, kept until `expires_at` (TTL) so a
  late event cannot resurrect the image;
- a permanent delete of one version adds the version to `deleted_versions`; the item becomes a tombstone when
  that version is (or later becomes) the current generation.
Derived outputs (thumbnails, metadata document) are accumulated in `derived_keys` and returned for deletion when
the image is deleted; a late result for an already deleted generation returns its own keys for deletion.
Tombstones keep `derived_keys`, so a retried delete (the handler failed before cleaning up) lists them again.
"""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from search_indexer.dynamo_values import to_dynamo
from search_indexer.events import CREATED, DELETED, METADATA, REJECTED, THUMBNAILS, IndexEvent, parse_index_event

DEFAULT_TOMBSTONE_TTL_SECONDS = 30 * 24 * 3600  # > SQS max retention (14 d) + EventBridge retries (24 h)

# Attributes of a live generation, by the event type that owns them. Base attributes are written by every event.
BASE = ("bucket", "key", "owner", "seq", "version_id")
OWNED: dict[str, tuple[str, ...]] = {
    CREATED: ("size", "etag", "uploaded_at"),
    THUMBNAILS: ("thumbnails",),
    METADATA: ("metadata", "sha256", "content_type", "metadata_key"),
    REJECTED: ("rejections",),
}
LIVE = ("owner", "version_id", *(a for attrs in OWNED.values() for a in attrs))
TOMBSTONE = ("deleted", "deletion", "deleted_at", "expires_at")

CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "TIFF": "image/tiff",
    "BMP": "image/bmp",
    "HEIF": "image/heif",
    "HEIC": "image/heic",
    "AVIF": "image/avif",
}


@dataclass(frozen=True)
class IndexOutcome:
    action: str  # "applied" | "stale" | "deleted" | "recorded"
    pk: str
    bucket: str
    keys_to_delete: tuple[str, ...] = ()

    @property
    def stale(self) -> bool:
        return self.action == "stale"


def apply_event(
    table: Any, event: dict[str, Any] | IndexEvent, *, tombstone_ttl_seconds: int | None = None
) -> IndexOutcome:
    """Apply one EventBridge event (or a parsed IndexEvent) to the index `table` (a boto3 DynamoDB Table)."""
    ev = event if isinstance(event, IndexEvent) else parse_index_event(event)
    ttl = DEFAULT_TOMBSTONE_TTL_SECONDS if tombstone_ttl_seconds is None else tombstone_ttl_seconds
    expires_at = _epoch(ev.event_time) + ttl
    if ev.detail_type == DELETED:
        if ev.is_version_delete:
            return _delete_version(table, ev, expires_at)
        return _delete_key(table, ev, expires_at)
    return _apply_result(table, ev, expires_at)


# --- object changes and results -------------------------------------------------------------------------------


def _apply_result(table: Any, ev: IndexEvent, expires_at: int) -> IndexOutcome:
    own = _own_values(ev)
    keys = set(ev.derived_keys)
    version_clause = " AND NOT contains(#deleted_versions, :version_id)" if ev.version_id else ""

    # 1. advance over a live (or no) generation: a newer generation replaces everything the older one wrote;
    #    derived_keys accumulate (outputs of replaced versions are deleted with the image).
    u = _advance_update(ev, own)
    u.add("derived_keys", keys)
    cond = "(attribute_not_exists(#seq) OR #seq < :seq) AND attribute_not_exists(#deleted)" + version_clause
    if _update(table, ev.pk, u, cond, seq=ev.sequencer):
        return IndexOutcome("applied", ev.pk, ev.bucket)

    # 2. merge: same generation, set only what this event type owns.
    u = _Update()
    if ev.detail_type == REJECTED:
        u.set_path(("rejections", ev.consumer or ""), {"reason": ev.reason, "message": ev.message})
    else:
        for name, value in own.items():
            u.set_or_remove(name, value)
    u.add("derived_keys", keys)
    u.value(":version_id", ev.version_id)
    u.name("deleted")
    cond = "#seq = :seq AND attribute_not_exists(#deleted)" + version_clause
    if _update(table, ev.pk, u, cond, seq=ev.sequencer):
        return IndexOutcome("applied", ev.pk, ev.bucket)

    # 1b. advance over a tombstone (an upload after a delete): the deleted image's outputs were already
    #     returned for deletion, so derived_keys restart with this event's.
    u = _advance_update(ev, own)
    u.set_or_remove("derived_keys", keys or None)
    cond = "#seq < :seq AND attribute_exists(#deleted)" + version_clause
    if _update(table, ev.pk, u, cond, seq=ev.sequencer):
        return IndexOutcome("applied", ev.pk, ev.bucket)

    # 3. a newer generation whose version was already permanently deleted: it advances as a tombstone.
    if ev.version_id:
        u = _tombstone_update(ev, deletion="version", deleted_at=None, expires_at=expires_at, keep_version=True)
        u.value(":version_id", ev.version_id)
        cond = "(attribute_not_exists(#seq) OR #seq < :seq) AND contains(#deleted_versions, :version_id)"
        if _update(table, ev.pk, u, cond, seq=ev.sequencer):
            return IndexOutcome("deleted", ev.pk, ev.bucket, tuple(sorted(keys)))

    # 4. stale. Its outputs stay listed for cleanup while the image lives, or are deleted now if it is gone.
    if not keys:
        return IndexOutcome("stale", ev.pk, ev.bucket)
    u = _Update()
    u.add("derived_keys", keys)
    u.value(":version_id", ev.version_id)
    u.name("deleted")
    cond = "attribute_exists(#seq) AND attribute_not_exists(#deleted)" + version_clause
    if _update(table, ev.pk, u, cond):
        return IndexOutcome("stale", ev.pk, ev.bucket)
    return IndexOutcome("stale", ev.pk, ev.bucket, tuple(sorted(keys)))


def _advance_update(ev: IndexEvent, own: dict[str, Any]) -> _Update:
    u = _Update()
    base = {"bucket": ev.bucket, "key": ev.key, "owner": ev.owner, "seq": ev.sequencer, "version_id": ev.version_id}
    # Results of a generation merge into its rejections map, so every live generation starts with one.
    written = {**base, "rejections": {}, **own}
    for name, value in written.items():
        u.set_or_remove(name, value)
    for name in (*LIVE, *TOMBSTONE):
        if name not in written:
            u.remove(name)
    u.value(":version_id", ev.version_id)
    u.name("deleted")
    return u


def _own_values(ev: IndexEvent) -> dict[str, Any]:
    if ev.detail_type == CREATED:
        # An empty time would be an invalid GSI key: leave the image unlisted rather than fail the write.
        return {"size": ev.size, "etag": ev.etag, "uploaded_at": ev.event_time or None}
    if ev.detail_type == THUMBNAILS:
        return {"thumbnails": list(ev.thumbnails)}
    if ev.detail_type == METADATA:
        fmt = str(ev.metadata.get("format") or "").upper()
        return {
            "metadata": ev.metadata,
            "sha256": str(ev.metadata["sha256"]).lower(),
            "content_type": ev.metadata.get("content_type") or CONTENT_TYPES.get(fmt),
            "metadata_key": ev.metadata_key,
        }
    return {"rejections": {ev.consumer or "": {"reason": ev.reason, "message": ev.message}}}


# --- deletes --------------------------------------------------------------------------------------------------


def _delete_key(table: Any, ev: IndexEvent, expires_at: int) -> IndexOutcome:
    # The tombstone keeps derived_keys: a retried delete (the handler crashed before cleaning up) lists them again.
    u = _tombstone_update(ev, deletion="key", deleted_at=ev.event_time, expires_at=expires_at)
    # `<=`: at an equal sequencer the delete wins (emulators repeat one sequencer for every event).
    old = _update(table, ev.pk, u, "attribute_not_exists(#seq) OR #seq <= :seq", seq=ev.sequencer, return_old=True)
    if old is None:
        return IndexOutcome("stale", ev.pk, ev.bucket)
    return IndexOutcome("deleted", ev.pk, ev.bucket, _outputs_of(old))


def _delete_version(table: Any, ev: IndexEvent, expires_at: int) -> IndexOutcome:
    u = _Update()
    u.add("deleted_versions", {ev.version_id})
    _update(table, ev.pk, u, None)

    # If it is the indexed version the image is gone: tombstone it (keeping version_id and derived_keys, so a
    # retried delete matches again and lists the same outputs).
    u = _Update()
    u.set("deleted", True)
    u.set("deletion", "version")
    u.set("expires_at", expires_at)
    for name in LIVE:
        if name != "version_id":
            u.remove(name)
    u.value(":version_id", ev.version_id)
    old = _update(table, ev.pk, u, "#version_id = :version_id", return_old=True)
    if old is not None:
        return IndexOutcome("deleted", ev.pk, ev.bucket, _outputs_of(old))

    # No generation indexed yet: the item holds only deleted_versions; let it expire like a tombstone.
    u = _Update()
    u.set("expires_at", expires_at)
    _update(table, ev.pk, u, "attribute_not_exists(#seq)")
    return IndexOutcome("recorded", ev.pk, ev.bucket)


def _tombstone_update(
    ev: IndexEvent, *, deletion: str, deleted_at: str | None, expires_at: int, keep_version: bool = False
) -> _Update:
    u = _Update()
    u.set("seq", ev.sequencer)
    if keep_version:
        u.set("version_id", ev.version_id)
    u.set("bucket", ev.bucket)
    u.set("key", ev.key)
    u.set("deleted", True)
    u.set("deletion", deletion)
    u.set_or_remove("deleted_at", deleted_at)
    u.set("expires_at", expires_at)
    for name in LIVE:
        if not (keep_version and name == "version_id"):
            u.remove(name)
    return u


def _outputs_of(item: dict[str, Any]) -> tuple[str, ...]:
    keys = {t["key"] for t in item.get("thumbnails") or () if isinstance(t, dict) and t.get("key")}
    if item.get("metadata_key"):
        keys.add(item["metadata_key"])
    keys.update(item.get("derived_keys") or ())
    return tuple(sorted(keys))


# --- DynamoDB plumbing ----------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"[#:][A-Za-z0-9_]+")


class _Update:
    """Builds an UpdateExpression; every attribute name is aliased (several are DynamoDB reserved words)."""

    def __init__(self) -> None:
        self.sets: list[str] = []
        self.removes: list[str] = []
        self.adds: list[str] = []
        self.names: dict[str, str] = {
            "#seq": "seq",
            "#deleted_versions": "deleted_versions",
            "#version_id": "version_id",
        }
        self.values: dict[str, Any] = {}

    def name(self, attr: str) -> str:
        alias = f"#{attr}" if attr.isidentifier() else f"#n{len(self.names)}"
        self.names[alias] = attr
        return alias

    def value(self, placeholder: str, value: Any) -> None:
        self.values[placeholder] = to_dynamo(value)

    def set(self, attr: str, value: Any) -> None:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = to_dynamo(value)
        self.sets.append(f"{self.name(attr)} = {placeholder}")

    def set_path(self, path: tuple[str, ...], value: Any) -> None:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = to_dynamo(value)
        aliases = []
        for part in path:
            alias = f"#p{len(self.names)}"
            self.names[alias] = part
            aliases.append(alias)
        self.sets.append(f"{'.'.join(aliases)} = {placeholder}")

    def set_or_remove(self, attr: str, value: Any) -> None:
        if value is None:
            self.remove(attr)
        else:
            self.set(attr, value)

    def remove(self, attr: str) -> None:
        self.removes.append(self.name(attr))

    def add(self, attr: str, members: set[str]) -> None:
        if members:  # DynamoDB rejects empty sets
            placeholder = f":v{len(self.values)}"
            self.values[placeholder] = set(members)
            self.adds.append(f"{self.name(attr)} {placeholder}")

    def expression(self) -> str:
        parts = []
        if self.sets:
            parts.append("SET " + ", ".join(self.sets))
        if self.removes:
            parts.append("REMOVE " + ", ".join(self.removes))
        if self.adds:
            parts.append("ADD " + ", ".join(self.adds))
        return " ".join(parts)


def _update(
    table: Any, pk: str, u: _Update, condition: str | None, *, seq: str | None = None, return_old: bool = False
) -> dict[str, Any] | bool | None:
    """One UpdateItem. Returns False/None when the condition fails (a stale write, not an error);
    True, or the old item with return_old, when it was applied."""
    expression = u.expression()
    values = dict(u.values)
    if seq is not None:
        values[":seq"] = seq
    kwargs: dict[str, Any] = {"Key": {"pk": pk}, "UpdateExpression": expression}
    # DynamoDB rejects unused names and values, so pass exactly the placeholders the expressions mention.
    used = set(_PLACEHOLDER.findall(f"{expression} {condition or ''}"))
    names = {alias: attr for alias, attr in u.names.items() if alias in used}
    if names:
        kwargs["ExpressionAttributeNames"] = names
    used_values = {p: v for p, v in values.items() if p in used}
    if used_values:
        kwargs["ExpressionAttributeValues"] = used_values
    if condition:
        kwargs["ConditionExpression"] = condition
    if return_old:
        kwargs["ReturnValues"] = "ALL_OLD"
    try:
        response = table.update_item(**kwargs)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return None if return_old else False
        raise
    return response.get("Attributes", {}) if return_old else True


def _epoch(iso_time: str) -> int:
    try:
        return calendar.timegm(datetime.fromisoformat(iso_time.replace("Z", "+00:00")).utctimetuple())
    except ValueError:
        return int(time.time())
