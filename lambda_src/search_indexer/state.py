"""The index record of one S3 key as a pure function of the events seen, whatever their order or duplicates.

State (one DynamoDB item per key, bounded whatever happens to the key):
- `versions`: the HISTORY newest versions by the S3 sequencer of their upload, each with what the events said
  about it (upload, thumbnails, metadata, rejections) and the outputs reported for it;
- `gone`: versions permanently deleted; `cleared`: the newest key-level delete (delete marker, or a delete in an
  unversioned bucket); `floor`: every version at or below it is dead (evicted from the history or cleared);
- `observed`: what S3 served when the key's newest version delete was indexed (read back by the service), so a
  permanent delete of the current version shows the version S3 serves now, not a deleted image;
- the live version's attributes at the top level (what queries and the GSIs read), or a tombstone that expires.
A version that leaves the history (evicted by newer uploads, cleared, or permanently deleted) has its outputs
returned for deletion; a late result about a dead version has its own outputs returned at once.

Every part is a join of the events (set unions, per-event-type fields, maxima), so any order gives one state.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from consumer_core.event_types import PUBLISHERS
from search_indexer.events import CREATED, DELETED, METADATA, REJECTED, THUMBNAILS, IndexEvent

HISTORY = 3  # versions of one key whose outputs are kept (the live one and the two before it)
# Where a version entry keeps each producer's result, by the detail type that reports it.
_RESULT_FIELDS = {THUMBNAILS: "thumbnails", METADATA: "metadata"}
GONE_KEPT = 32  # permanently deleted versions remembered beyond the history
DEFAULT_TOMBSTONE_TTL_SECONDS = 30 * 24 * 3600  # > SQS max retention (14 d) + EventBridge retries (24 h)

# The top-level view of the live version (record.py reads these; GSIs: owner, uploaded_at, sha256).
VIEW = (
    "owner",
    "version_id",
    "etag",
    "size",
    "uploaded_at",
    "thumbnails",
    "metadata",
    "metadata_key",
    "sha256",
    "content_type",
    "rejections",
    "reprocess",
    "deleted",
    "deleted_at",
    "expires_at",
)


@dataclass(frozen=True)
class Served:
    """What S3 serves for a key, read back after a permanent version delete (`exists=False`: nothing, or a
    delete marker)."""

    exists: bool
    version_id: str | None = None
    etag: str | None = None
    size: int | None = None
    last_modified: str | None = None

    @property
    def token(self) -> str | None:
        return (self.version_id or self.etag) if self.exists else None


@dataclass(frozen=True)
class Transition:
    """The new state, and whether it differs from the old one. Outputs of dead versions are added to the state's
    `pending_deletes` (kept until the service has deleted them, so a crash in between loses none)."""

    state: dict[str, Any]
    changed: bool


def apply(
    state: Mapping[str, Any] | None,
    event: IndexEvent,
    *,
    served: Served | None = None,
    tombstone_ttl_seconds: int = DEFAULT_TOMBSTONE_TTL_SECONDS,
) -> Transition:
    """The state after `event` (`served`: the read-back, for permanent version deletes)."""
    before = dict(state or {})
    new = _fresh(before, event)
    dead: list[str] = []
    versions: dict[str, dict[str, Any]] = new["versions"]
    token = event.token
    if event.detail_type == DELETED and event.is_version_delete:
        removed = versions.pop(token, None)
        known = removed["seq"] if removed else new["gone"].get(token, {}).get("seq")
        new["gone"][token] = {"seq": known, "at": max(event.sequencer, new["gone"].get(token, {}).get("at", ""))}
        dead.extend(removed.get("outputs", ()) if removed else ())
        observation = {"at": event.sequencer, "time": event.event_time, "served": _served_dict(served)}
        if not new.get("observed") or new["observed"]["at"] <= event.sequencer:
            new["observed"] = observation
        new["seq"] = max(new.get("seq", ""), event.sequencer)
    elif event.detail_type == DELETED:
        if event.sequencer >= new.get("cleared", {}).get("seq", ""):
            new["cleared"] = {"seq": event.sequencer, "time": event.event_time}
        new["seq"] = max(new.get("seq", ""), event.sequencer)
    elif _dead(new, token, event.sequencer):
        if token in new["gone"] and new["gone"][token]["seq"] is None and event.detail_type == CREATED:
            new["gone"][token]["seq"] = event.sequencer
        dead.extend(event.derived_keys)
    else:
        entry = versions.setdefault(token, {"seq": event.sequencer})
        _merge(entry, event)
        if event.detail_type == CREATED:
            new["seq"] = max(new.get("seq", ""), event.sequencer)
    dead.extend(_normalise(new))
    _view(new, tombstone_ttl_seconds)
    if dead:
        new["pending_deletes"] = sorted(set(new.get("pending_deletes", ())) | set(dead))
    return Transition(new, new != before)


def live_version(state: Mapping[str, Any]) -> str | None:
    """The token of the version the record shows (None: deleted, or only results so far)."""
    return state.get("live")


# --- events ---------------------------------------------------------------------------------------------


def _fresh(before: dict[str, Any], event: IndexEvent) -> dict[str, Any]:
    """A deep enough copy to change without touching `before`, with the identity attributes set."""
    new = {key: value for key, value in before.items()}
    new["versions"] = {token: dict(entry) for token, entry in (before.get("versions") or {}).items()}
    new["gone"] = {token: dict(entry) for token, entry in (before.get("gone") or {}).items()}
    new["bucket"], new["key"] = event.bucket, event.key
    new.setdefault("floor", "")
    return new


def _dead(state: dict[str, Any], token: str, seq: str) -> bool:
    """Whether the version uploaded at `seq` can no longer be live: deleted, cleared, or out of the history."""
    cleared = state.get("cleared", {}).get("seq", "")
    return token in state["gone"] or seq <= state["floor"] or (bool(cleared) and seq <= cleared)


def _merge(entry: dict[str, Any], event: IndexEvent) -> None:
    """What this event type says about its version; each type owns its fields, so merges commute."""
    if event.detail_type == CREATED:
        entry["upload"] = {
            "version_id": event.version_id,
            "etag": event.etag,
            "size": event.size,
            "uploaded_at": event.event_time or None,
        }
    elif event.detail_type == THUMBNAILS:
        entry["thumbnails"] = list(event.thumbnails)
    elif event.detail_type == METADATA:
        entry["metadata"] = event.metadata
        entry["metadata_key"] = event.metadata_key
    elif event.detail_type == REJECTED:
        entry["rejections"] = {
            **entry.get("rejections", {}),
            event.consumer or "": {"reason": event.reason, "message": event.message},
        }
    if event.derived_keys:
        entry["outputs"] = sorted(set(entry.get("outputs", ())) | set(event.derived_keys))


def _served_dict(served: Served | None) -> dict[str, Any] | None:
    if served is None:
        return None
    return {
        "exists": served.exists,
        "token": served.token,
        "version_id": served.version_id,
        "etag": served.etag,
        "size": served.size,
        "last_modified": served.last_modified,
    }


# --- normal form ----------------------------------------------------------------------------------------


def _normalise(state: dict[str, Any]) -> list[str]:
    """Drop cleared versions, keep the HISTORY newest, forget deletes that can no longer matter. Returns the
    outputs of the versions dropped."""
    versions = state["versions"]
    dead: list[str] = []
    cleared = state.get("cleared", {}).get("seq", "")
    # Deleted uploads keep their rank: the history is the HISTORY newest uploads, whatever became of them.
    ranked = sorted({entry["seq"] for entry in versions.values()} | _gone_seqs(state), reverse=True)
    threshold = ranked[HISTORY - 1] if len(ranked) >= HISTORY else ""
    state["floor"] = max([state["floor"], cleared, *(seq for seq in ranked if seq < threshold)])
    for token in list(versions):
        if versions[token]["seq"] <= state["floor"]:
            dead.extend(versions.pop(token).get("outputs", ()))
    # A deleted version's upload sequencer only matters above the floor (ranking for the history); below it,
    # forgetting it makes the state the same whether the upload was seen before the delete or not.
    gone = {
        token: {**entry, "seq": entry["seq"] if (entry["seq"] or "") > state["floor"] else None}
        for token, entry in state["gone"].items()
    }
    kept = sorted(gone, key=lambda token: gone[token]["at"], reverse=True)[:GONE_KEPT]
    state["gone"] = {token: gone[token] for token in kept}
    return dead


def _gone_seqs(state: dict[str, Any]) -> set[str]:
    return {entry["seq"] for entry in state["gone"].values() if entry["seq"]}


def _view(state: dict[str, Any], tombstone_ttl_seconds: int) -> None:
    """The top-level attributes: the live version's, or a tombstone's."""
    for name in VIEW:
        state.pop(name, None)
    state.pop("live", None)
    versions = state["versions"]
    newest = max(versions, key=lambda token: versions[token]["seq"], default=None)
    newest_seq = versions[newest]["seq"] if newest else ""
    observed = state.get("observed")
    cleared = state.get("cleared", {}).get("seq", "")
    if observed and observed["at"] > newest_seq and observed["at"] > cleared and observed["served"] is not None:
        served = observed["served"]
        if not served["exists"]:
            _tombstone(state, observed["time"], tombstone_ttl_seconds)
        elif served["token"] in versions:
            _show(state, served["token"], versions[served["token"]])
        else:
            # S3 serves a version older than the history: shown from the read-back, its outputs are not known.
            upload = {
                "version_id": served["version_id"],
                "etag": served["etag"],
                "size": served["size"],
                "uploaded_at": served["last_modified"],
            }
            _show(state, served["token"], {"upload": upload})
            state["reprocess"] = True
        return
    if newest is None:
        if cleared:
            _tombstone(state, state["cleared"]["time"], tombstone_ttl_seconds)
        return
    _show(state, newest, versions[newest])


def _show(state: dict[str, Any], token: str, entry: Mapping[str, Any]) -> None:
    from search_indexer.layout import owner_of

    state["live"] = token
    state["rejections"] = standing_rejections(entry)
    upload = entry.get("upload")
    if upload is not None:
        state["owner"] = owner_of(state["key"])
        for name in ("version_id", "etag", "size", "uploaded_at"):
            if upload.get(name) is not None:
                state[name] = upload[name]
    if entry.get("thumbnails"):
        state["thumbnails"] = entry["thumbnails"]
    metadata = entry.get("metadata")
    if metadata:
        state["metadata"] = metadata
        state["metadata_key"] = entry.get("metadata_key")
        state["sha256"] = str(metadata["sha256"]).lower()
        if metadata.get("mime_type"):
            state["content_type"] = metadata["mime_type"]


def standing_rejections(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A version's rejections less those its consumer has since superseded with a result (its outputs exist): a
    redrive or a reprocess after a fix. A result outlasts the rejection whichever arrives first (any order gives
    one state); a stricter setting that rejects a processed version later deletes none of its outputs."""
    rejections = dict(entry.get("rejections", {}))
    for consumer, detail_types in PUBLISHERS.items():
        if any(entry.get(_RESULT_FIELDS[t]) for t in detail_types if t in _RESULT_FIELDS):
            rejections.pop(consumer, None)
    return rejections


def _tombstone(state: dict[str, Any], deleted_at: str, ttl: int) -> None:
    state["deleted"] = True
    state["deleted_at"] = deleted_at
    state["expires_at"] = _epoch(deleted_at) + ttl


def _epoch(iso_time: str) -> int:
    try:
        return calendar.timegm(datetime.fromisoformat(iso_time.replace("Z", "+00:00")).utctimetuple())
    except ValueError:
        return int(time.time())


__all__ = [
    "DEFAULT_TOMBSTONE_TTL_SECONDS",
    "GONE_KEPT",
    "HISTORY",
    "Served",
    "Transition",
    "apply",
    "live_version",
    "standing_rejections",
]
