"""The IAM actions upload_api's code calls (modules/upload_api grants exactly these; tests compare)."""

from __future__ import annotations

from upload_api.service import IAM_ACTIONS as _CALLS

IAM_ACTIONS: frozenset[str] = frozenset().union(*_CALLS.values())

__all__ = ["IAM_ACTIONS"]
