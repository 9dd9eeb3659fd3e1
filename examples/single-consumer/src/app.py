"""Minimal consumer for the single-consumer example: logs each EventBridge event of an SQS batch."""

import json


def handler(event, context):
    failures = []
    for record in event.get("Records", []):
        try:
            detail = json.loads(record["body"])["detail"]
            print(json.dumps({"message_id": record["messageId"], "detail": detail}))
        except (KeyError, ValueError):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
