"""Small, documented monkeypatches that make moto 5.2.5 behave like AWS for this stack.

Each patch fixes one observed difference between stock moto and AWS (see docs in tools/emulator/README.md);
each has a test in tests/integration/test_moto_patches.py that fails against stock moto. They are applied
in-process by the emulator launcher before it serves, never to the moto package on disk.
"""

from __future__ import annotations

import copy
import html
import json
import logging
import re
import threading
import urllib.parse
import uuid
from collections.abc import Callable
from typing import Any

import moto

from tools.emulator import s3_auth

LOG = logging.getLogger(__name__)
PINNED_MOTO = "5.2.5"
_APPLIED: list[str] = []
_SEQUENCER = 0x1000000000000
_SEQUENCER_LOCK = threading.Lock()
_ARCHIVE_ARN = re.compile(r"archive/([^\":]+):([0-9a-fA-F-]+)")


def _secure_transport_bucket_policy() -> None:
    """TLS-only bucket policies: moto ignores the `Bool aws:SecureTransport` condition, so the usual
    `Deny * if aws:SecureTransport = false` denies every request. Requests to the emulator stand in for
    requests to AWS's HTTPS endpoints, so the key is evaluated as "true" and a statement whose condition
    does not hold is dropped (not applicable), as AWS does."""
    from moto.s3.models import FakeBucket

    original: Callable[..., Any] = FakeBucket.get_permission

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return original(self, action, resource)
        document = json.loads(self.policy.decode())
        statements = document.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        kept = []
        for statement in statements:
            applies, statement = _evaluate_secure_transport(statement)
            if applies:
                kept.append(statement)
        document["Statement"] = kept
        saved = self.policy
        self.policy = json.dumps(document).encode()
        try:
            return original(self, action, resource)
        finally:
            self.policy = saved

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


def _evaluate_secure_transport(statement: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    """(does the statement apply to a TLS request, statement without the evaluated condition key)."""
    conditions = statement.get("Condition")
    if not isinstance(conditions, dict):
        return True, statement
    statement = copy.deepcopy(statement)
    conditions = statement["Condition"]
    for operator in [op for op in conditions if op in ("Bool", "BoolIfExists")]:
        block = conditions[operator]
        key = next((k for k in block if k.lower() == "aws:securetransport"), None)
        if key is None:
            continue
        expected = block.pop(key)
        values = expected if isinstance(expected, list) else [expected]
        if "true" not in [str(v).lower() for v in values]:
            return False, statement
        if not block:
            del conditions[operator]
    if not conditions:
        del statement["Condition"]
    return True, statement


def _bucket_notification_eventbridge() -> None:
    """GetBucketNotificationConfiguration omits `EventBridgeConfiguration`, so Terraform sees
    `eventbridge = true` as drift on every plan."""
    from moto.s3.responses import S3Response

    original: Callable[..., Any] = S3Response.get_bucket_notification

    def get_bucket_notification(self: Any) -> Any:
        response = original(self)
        config = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if config is None or config.event_bridge is None:
            return response
        status, headers, body = _as_triple(response)
        if isinstance(body, bytes):
            body = body.decode()
        if "<EventBridgeConfiguration" not in body:
            element = "<EventBridgeConfiguration></EventBridgeConfiguration>"
            self_closing = re.compile(r"<NotificationConfiguration([^>]*?)\s*/>")
            if self_closing.search(body):
                body = self_closing.sub(
                    lambda m: f"<NotificationConfiguration{m.group(1)}>{element}</NotificationConfiguration>", body
                )
            else:
                body = body.replace("</NotificationConfiguration>", element + "</NotificationConfiguration>")
        return status, headers, body

    S3Response.get_bucket_notification = get_bucket_notification  # type: ignore[method-assign]


def _as_triple(response: Any) -> tuple[int, dict[str, Any], Any]:
    if isinstance(response, tuple):
        status, headers, body = response
        return status, dict(headers), body
    return 200, {}, response


def _s3_event(account_id: str, bucket: Any, event_name: str, key: Any) -> dict[str, Any] | None:
    """An S3 EventBridge event shaped like AWS's (S3 user guide, "EventBridge event message structure"): a fresh
    event id, `etag` (moto: `eTag`), a sequencer that grows with every event (moto: one fixed value, which makes
    per-key ordering impossible), `reason` PutObject/DeleteObject and `deletion-type` for deletes and the key
    percent-encoded as the handlers expect from AWS (moto: raw), so a
    key like `50%25 off.jpg` round-trips through `consumer_core.events.decode_key`."""
    from moto.core.utils import unix_time
    from moto.s3.notifications import _detail_type

    try:
        detail_type = _detail_type(event_name)
    except ValueError:
        return None
    global _SEQUENCER
    with _SEQUENCER_LOCK:
        _SEQUENCER += 1
        sequencer = f"{_SEQUENCER:016X}"
    encoded_key = urllib.parse.quote(key.name, safe="/")
    obj: dict[str, Any] = {"key": encoded_key, "version-id": key.version_id, "sequencer": sequencer}
    detail: dict[str, Any] = {"version": "0", "bucket": {"name": bucket.name}, "object": obj}
    if detail_type == "Object Deleted":
        marker = "DeleteMarkerCreated" in event_name
        detail["reason"] = "DeleteObject"
        detail["deletion-type"] = "Delete Marker Created" if marker else "Permanently Deleted"
    else:
        obj["size"] = key.size
        obj["etag"] = key.etag.replace('"', "")
        detail["reason"] = {
            "s3:ObjectCreated:Put": "PutObject",
            "s3:ObjectCreated:Post": "PostObject",
            "s3:ObjectCreated:Copy": "CopyObject",
            "s3:ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
        }.get(event_name, event_name.split(":")[1])
    detail.update(
        {"request-id": uuid.uuid4().hex[:16].upper(), "requester": account_id, "source-ip-address": "127.0.0.1"}
    )
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "aws.s3",
        "account": account_id,
        "time": unix_time(),  # moto's rules turn epoch seconds into ISO 8601 when they deliver
        "region": bucket.region_name,
        "resources": [bucket.arn],
        "detail": detail,
    }


def _eventbridge_archive_routing() -> None:
    """S3 -> EventBridge delivery loops over every rule inside one try/except. The rule an archive creates
    on the default bus raises (KeyError on the un-transformed event), which silently drops the event for
    every rule after it. Deliver rule by rule on the default bus only (S3 sends to the default bus), archive
    rules straight into their archive, and isolate failures so one rule cannot starve the others.
    The events themselves are shaped like AWS's (see _s3_event)."""
    from moto.events.models import events_backends
    from moto.s3 import notifications

    def _send_event_bridge_message(account_id: str, bucket: Any, event_name: str, key: Any) -> None:
        event = _s3_event(account_id, bucket, event_name, key)
        if event is None:
            return
        backend = events_backends[account_id][bucket.region_name]
        default_bus = backend.event_buses.get("default")
        if default_bus is None:
            return
        for rule in list(default_bus.rules.values()):
            try:
                if rule.name.startswith("Events-Archive-"):
                    _archive(rule, copy.deepcopy(event))
                else:
                    rule.send_to_targets(copy.deepcopy(event), transform_input=False)
            except Exception:  # one failing rule must not stop delivery to the others
                LOG.exception("emulator: delivery of an S3 event to rule %s failed", rule.name)

    def _archive(rule: Any, event: dict[str, Any]) -> None:
        if not rule.event_pattern.matches_event(event):
            return
        for target in rule.targets:
            template = (target.get("InputTransformer") or {}).get("InputTemplate", "")
            match = _ARCHIVE_ARN.search(template)
            if match:
                rule._send_to_events_archive(f"{match.group(1)}:{match.group(2)}", event)

    notifications._send_event_bridge_message = _send_event_bridge_message


def _s3_delete_marker_events() -> None:
    """Deleting an object of a versioned bucket without a version id creates a delete marker; AWS sends
    `Object Deleted` (deletion-type "Delete Marker Created"), moto sends nothing."""
    from moto.s3 import notifications
    from moto.s3.models import S3Backend

    original = S3Backend._set_delete_marker

    def _set_delete_marker(self: Any, bucket_name: str, key_name: str) -> Any:
        marker = original(self, bucket_name, key_name)
        bucket = self.get_bucket(bucket_name)
        if bucket.notification_configuration and bucket.notification_configuration.event_bridge is not None:
            notifications._send_event_bridge_message(
                self.account_id,
                bucket,
                notifications.S3NotificationEvent.OBJECT_REMOVED_DELETE_MARKER_CREATED_EVENT,
                marker,
            )
        return marker

    S3Backend._set_delete_marker = _set_delete_marker  # type: ignore[method-assign]


def _sqs_redrive_policy_compact() -> None:
    """AWS returns RedrivePolicy as compact JSON; moto re-serialises it with spaces, which the aws provider
    reports as a perpetual diff on the queue's `redrive_policy`."""
    from moto.sqs.models import Queue

    original = Queue.attributes

    def attributes(self: Any) -> dict[str, Any]:
        result = original.fget(self)  # type: ignore[attr-defined]
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    Queue.attributes = property(attributes)  # type: ignore[method-assign,assignment]


def _lambda_dead_letter_and_snap_start() -> None:
    """moto drops a function's DeadLetterConfig and always reports SnapStart ApplyOn=None, so Terraform
    plans `dead_letter_config` / `snap_start` again on every run. Keep and return what was set."""
    from moto.awslambda.models import LambdaFunction

    original_init = LambdaFunction.__init__
    original_update = LambdaFunction.update_configuration
    original_get = LambdaFunction.get_configuration

    def __init__(self: Any, account_id: str, spec: dict[str, Any], region: str, version: Any = 1) -> None:
        original_init(self, account_id, spec, region, version)
        self.emulator_dead_letter_config = spec.get("DeadLetterConfig") or {}
        self.emulator_snap_start = spec.get("SnapStart") or {}

    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in config_updates:
            self.emulator_dead_letter_config = config_updates["DeadLetterConfig"] or {}
        if "SnapStart" in config_updates:
            self.emulator_snap_start = config_updates["SnapStart"] or {}
        return original_update(self, config_updates)

    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        config = original_get(self, on_create)
        dead_letter = getattr(self, "emulator_dead_letter_config", {})
        if dead_letter.get("TargetArn"):
            config["DeadLetterConfig"] = {"TargetArn": dead_letter["TargetArn"]}
        apply_on = getattr(self, "emulator_snap_start", {}).get("ApplyOn")
        if apply_on:
            status = "On" if apply_on == "PublishedVersions" else "Off"
            config["SnapStart"] = {"ApplyOn": apply_on, "OptimizationStatus": status}
        return config

    LambdaFunction.__init__ = __init__  # type: ignore[method-assign]
    LambdaFunction.update_configuration = update_configuration  # type: ignore[method-assign]
    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]


def _list_object_versions_url_encoding() -> None:
    """ListObjectVersions ignores `encoding-type=url`: keys come back raw, so the aws provider's bucket
    emptying (force_destroy) fails on a key such as `50%.png` ("invalid URL escape"). Encode them as S3 does."""
    from moto.s3.responses import S3Response

    original = S3Response.list_object_versions
    key_element = re.compile(r"<(Key|NextKeyMarker)>(.*?)</\1>", re.S)

    def list_object_versions(self: Any) -> Any:
        response = original(self)
        if self.querystring.get("encoding-type", [None])[0] != "url":
            return response
        status, headers, body = _as_triple(response)
        if isinstance(body, bytes):
            body = body.decode()
        body = key_element.sub(
            lambda m: f"<{m.group(1)}>{urllib.parse.quote(html.unescape(m.group(2)), safe='/')}</{m.group(1)}>", body
        )
        if "<EncodingType>" not in body:
            body = re.sub(r"(</Name>)", r"\1<EncodingType>url</EncodingType>", body, count=1)
        return status, headers, body

    S3Response.list_object_versions = list_object_versions  # type: ignore[method-assign]


def _delete_marker_dispose() -> None:
    """With versioning suspended (Terraform removes aws_s3_bucket_versioning before the bucket), deleting a key
    that has a delete marker fails with HTTP 500 (`FakeDeleteMarker` has no `dispose`), so `force_destroy` of
    a bucket that saw a deletion fails. A delete marker holds no data: disposing of it is a no-op."""
    from moto.s3.models import FakeDeleteMarker

    if not hasattr(FakeDeleteMarker, "dispose"):
        FakeDeleteMarker.dispose = lambda self, garbage=False: None  # type: ignore[attr-defined]


def _stepfunctions(name: str) -> Callable[[], None]:
    """A Step Functions patch of tools/emulator/stepfunctions.py (the reprocess workflow's needs)."""

    def apply() -> None:
        from tools.emulator import stepfunctions

        getattr(stepfunctions, name)()

    return apply


PATCHES: dict[str, Callable[[], None]] = {
    "s3-secure-transport": _secure_transport_bucket_policy,
    "s3-notification-eventbridge": _bucket_notification_eventbridge,
    "events-archive-routing": _eventbridge_archive_routing,
    "s3-delete-marker-events": _s3_delete_marker_events,
    "sqs-redrive-policy-compact": _sqs_redrive_policy_compact,
    "lambda-dlq-snapstart": _lambda_dead_letter_and_snap_start,
    "s3-list-versions-url-encoding": _list_object_versions_url_encoding,
    "s3-delete-marker-dispose": _delete_marker_dispose,
    "sfn-validate-definition": _stepfunctions("_validate_definition_api"),
    "sfn-context-start-time": _stepfunctions("_context_start_time"),
    "sfn-jsonpath-filter-empty": _stepfunctions("_jsonpath_filter_empty"),
    "sfn-item-batcher": _stepfunctions("_item_batcher"),
    "sfn-item-reader-s3": _stepfunctions("_item_reader_s3"),
    # The upload API's presigned POSTs and its bucket policy (tools/emulator/s3_auth.py).
    **s3_auth.PATCHES,
}


def apply_all(names: list[str] | None = None) -> list[str]:
    """Apply the named patches (all by default) once per process; returns the names applied."""
    if moto.__version__ != PINNED_MOTO:
        raise RuntimeError(f"emulator patches are written for moto {PINNED_MOTO}, found {moto.__version__}")
    for name in names if names is not None else list(PATCHES):
        if name not in _APPLIED:
            PATCHES[name]()
            _APPLIED.append(name)
    return list(_APPLIED)
