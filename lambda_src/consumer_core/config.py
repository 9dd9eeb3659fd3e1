"""Settings shared by every consumer, read once from the environment (see docs/contracts.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


def env_int(name: str, default: int, *, minimum: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"environment variable {name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"environment variable {name} must be >= {minimum}, got {value}")
    return value


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"environment variable {name} must be true or false, got {raw!r}")


@dataclass(frozen=True)
class CoreSettings:
    idempotency_table: str
    idempotency_ttl_seconds: int
    dlq_url: str
    results_bus_name: str
    max_object_bytes: int
    max_image_pixels: int


@lru_cache(maxsize=1)
def core_settings() -> CoreSettings:
    missing = [name for name in ("IDEMPOTENCY_TABLE", "DLQ_URL") if not os.environ.get(name)]
    if missing:
        raise RuntimeError(f"missing required environment variables: {', '.join(missing)}")
    return CoreSettings(
        idempotency_table=os.environ["IDEMPOTENCY_TABLE"],
        idempotency_ttl_seconds=env_int("IDEMPOTENCY_TTL_SECONDS", 86400, minimum=60),
        dlq_url=os.environ["DLQ_URL"],
        results_bus_name=os.environ.get("RESULTS_BUS_NAME", "").strip(),
        max_object_bytes=env_int("MAX_OBJECT_BYTES", 50 * 1024 * 1024),
        max_image_pixels=env_int("MAX_IMAGE_PIXELS", 50_000_000),
    )


def upload_prefix() -> str:
    return os.environ.get("UPLOAD_PREFIX", "uploads/")


def output_prefix(name: str, default: str) -> str:
    """An output prefix from the environment, refused when it overlaps the upload prefix: outputs the upload
    rule could match would trigger the pipeline again, forever."""
    prefix = os.environ.get(name, default)
    uploads = upload_prefix()
    if not prefix or prefix.startswith(uploads) or uploads.startswith(prefix):
        raise ValueError(f"{name} {prefix!r} must not overlap UPLOAD_PREFIX {uploads!r}")
    return prefix
