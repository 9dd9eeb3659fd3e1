"""moto's Lambda with its SQS elsewhere (the localstack-core backend: SQS on LocalStack, Lambda on moto).

moto 5.2.5's CreateEventSourceMapping accepts only queues of its own SQS backend ("Invalid EventSourceArn"
otherwise). With `accept_external_queues(url)` (`python -m tools.emulator.server --external-sqs URL`), an SQS
ARN that moto does not know is looked up at that SQS endpoint instead, as Lambda asks SQS on AWS: an existing
queue gets its mapping (stored, listed, updated and deleted by moto as usual; moto never polls it, the local
runner does), a missing one is refused as before. Not an AWS-fidelity patch: moto's own queues are untouched.
"""

from __future__ import annotations

from typing import Any

NAME = "lambda-esm-external-sqs"


def queue_exists(endpoint: str, arn: str) -> bool:
    from botocore.exceptions import ClientError

    from tools.emulator.discovery import aws_client
    from tools.emulator.endpoints import Endpoints

    parts = arn.split(":")
    region, account, name = parts[3], parts[4], parts[5]
    # LocalStack reads the account from a 12-digit access key id.
    sqs = aws_client("sqs", Endpoints(endpoint, access_key=account), region)
    try:
        sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)
    except ClientError:
        return False
    return True


def accept_external_queues(endpoint: str) -> str:
    from moto.awslambda.models import EventSourceMapping, LambdaBackend
    from moto.sqs.models import sqs_backends

    original = LambdaBackend.create_event_source_mapping

    def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
        arn = str(spec.get("EventSourceArn") or "")
        own = sqs_backends[self.account_id][self.region_name].queues.values()
        if not arn.startswith("arn:aws:sqs:") or any(q.queue_arn == arn for q in own):
            return original(self, spec)
        if not spec.get("FunctionName") or not queue_exists(endpoint, arn):
            return original(self, spec)  # moto's own validation and error
        function = self._lambdas.get_function_by_name_or_arn_with_qualifier(spec["FunctionName"])
        spec.update(
            {"RegionName": self.region_name, "AccountId": self.account_id, "FunctionArn": function.function_arn}
        )
        mapping = EventSourceMapping(spec)
        self._event_source_mappings[mapping.uuid] = mapping
        return mapping

    LambdaBackend.create_event_source_mapping = create_event_source_mapping  # type: ignore[method-assign]
    return NAME
