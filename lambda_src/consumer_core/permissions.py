"""The IAM actions a consumer's code calls, composed from the lists kept next to each call (IAM_ACTIONS in
storage, results, dlq, idempotency, ...). Every consumer's permissions.py builds its set with `actions()`;
tests/integration compares each deployed role with it, so a role holds exactly what its code uses."""

from __future__ import annotations

from collections.abc import Iterable

from consumer_core import dlq, idempotency

# What every consumer's runtime calls: its own DLQ and the idempotency table.
RUNTIME = dlq.IAM_ACTIONS | idempotency.IAM_ACTIONS


def actions(*parts: Iterable[str]) -> frozenset[str]:
    return frozenset(RUNTIME.union(*parts))


__all__ = ["RUNTIME", "actions"]
