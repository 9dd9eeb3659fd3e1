"""Where each AWS service of a session is served: one routing table for Terraform, boto3 and the handlers.

An `Endpoints` is a default URL plus per-service routes. The same object gives

- `url(service)`: the URL for a boto3 client (`aws_client` in discovery uses it),
- `environ()`: `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` for processes using boto3 (the local Lambda
  runner's workers), the names botocore reads (service id, spaces as underscores, upper case),
- `terraform()`: the aws provider's `endpoints` block, keyed by the provider's service names.

Services are named as boto3 names its clients (`s3`, `events`, `stepfunctions`, `apigatewayv2`, ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache

# boto3 client name -> the aws provider's endpoint name, where they differ.
_TERRAFORM_NAMES = {"stepfunctions": "sfn"}
_BOTO3_NAMES = {tf: boto3 for boto3, tf in _TERRAFORM_NAMES.items()}


def terraform_name(service: str) -> str:
    return _TERRAFORM_NAMES.get(service, service)


def boto3_name(terraform_service: str) -> str:
    return _BOTO3_NAMES.get(terraform_service, terraform_service)


@cache
def environment_name(service: str) -> str:
    """`AWS_ENDPOINT_URL_<SERVICE>` as botocore reads it: from the service id (`CloudWatch Logs` ->
    `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`, `EventBridge` -> `AWS_ENDPOINT_URL_EVENTBRIDGE`)."""
    import botocore.session

    service_id = botocore.session.get_session().get_service_model(service).service_id
    return "AWS_ENDPOINT_URL_" + str(service_id).replace(" ", "_").upper()


@dataclass(frozen=True)
class Endpoints:
    """`default` serves every service without a route of its own. `localstack` names the URL that is LocalStack
    (its clients come from localstack-client); `access_key` is the access key id every client uses: LocalStack
    takes the account id from a 12-digit one (moto ignores it)."""

    default: str
    routes: Mapping[str, str] = field(default_factory=dict)
    localstack: str | None = None
    access_key: str = "test"

    @classmethod
    def split(cls, default: str, other: str, services: Iterable[str], **kwargs: str) -> Endpoints:
        """Everything on `default` except `services`, which go to `other`."""
        return cls(default, {service: other for service in services}, **kwargs)

    def url(self, service: str) -> str:
        return self.routes.get(service, self.default)

    def with_route(self, service: str, url: str) -> Endpoints:
        return replace(self, routes={**self.routes, service: url})

    def environ(self) -> dict[str, str]:
        """Endpoint variables for a process using boto3."""
        env = {"AWS_ENDPOINT_URL": self.default}
        env.update({environment_name(service): url for service, url in self.routes.items()})
        return env

    def terraform(self, services: Iterable[str]) -> dict[str, str]:
        """Provider endpoint name -> URL for `services` (provider names) and every routed service."""
        names = set(services) | {terraform_name(s) for s in self.routes}
        return {name: self.url(boto3_name(name)) for name in sorted(names)}

    def served_by(self, url: str) -> list[str]:
        """The routed services that `url` serves (the default's services are not listed)."""
        return sorted(service for service, target in self.routes.items() if target == url)


def as_endpoints(endpoint: str | Endpoints) -> Endpoints:
    """A single URL is a backend serving every service."""
    return endpoint if isinstance(endpoint, Endpoints) else Endpoints(endpoint)
