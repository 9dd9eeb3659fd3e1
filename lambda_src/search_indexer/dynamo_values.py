"""Conversions between JSON-ish Python values and what the boto3 DynamoDB resource layer accepts/returns."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any


def to_dynamo(value: Any) -> Any:
    """floats -> Decimal (the resource layer rejects float), tuples -> lists; NaN/inf -> None."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str, Decimal)):
        return value
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): to_dynamo(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_dynamo(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {to_dynamo(v) for v in value}
    raise TypeError(f"cannot store {type(value).__name__} in the search index")


def from_dynamo(value: Any) -> Any:
    """Decimal -> int or float, sets -> sorted lists: plain JSON-serialisable values."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_dynamo(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(from_dynamo(v) for v in value)
    return value
