"""Settings shared by every consumer, read once from the environment (see docs/contracts.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from consumer_core.imaging.limits import ImageLimits


# Defaults of the settings every part shares (Terraform's variable defaults are the same; a test keeps them equal).
DEFAULT_UPLOAD_PREFIX = "uploads/"
DEFAULT_THUMBNAIL_PREFIX = "thumbnails/"
DEFAULT_METADATA_PREFIX = "metadata/"
DEFAULT_MAX_OBJECT_BYTES = 50 * 1024 * 1024


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
    # SQS deliveries before the buffer queue redrives a record (the queue's maxReceiveCount): a record that fails
    # transiently on its last delivery goes to the DLQ with `retries_exhausted` instead of without a reason.
    max_receive_count: int


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
        max_object_bytes=env_int("MAX_OBJECT_BYTES", DEFAULT_MAX_OBJECT_BYTES),
        max_receive_count=env_int("MAX_RECEIVE_COUNT", 5),
    )


@lru_cache(maxsize=1)
def image_limits() -> ImageLimits:
    """What one upload may cost the image consumers (consumer_core.imaging.limits; defaults there)."""
    from consumer_core.imaging.limits import DEFAULT_LIMITS, MB, ImageLimits

    return ImageLimits(
        max_pixels=env_int("MAX_IMAGE_PIXELS", DEFAULT_LIMITS.max_pixels),
        cpu_budget_s=env_int("IMAGE_CPU_BUDGET_MS", int(DEFAULT_LIMITS.cpu_budget_s * 1000)) / 1000,
        memory_budget_bytes=env_int("IMAGE_MEMORY_BUDGET_MB", DEFAULT_LIMITS.memory_budget_bytes // MB) * MB,
    )


def upload_prefix() -> str:
    return os.environ.get("UPLOAD_PREFIX", DEFAULT_UPLOAD_PREFIX)


def output_prefix(name: str, default: str) -> str:
    """An output prefix from the environment, refused when it overlaps the upload prefix: outputs the upload
    rule could match would trigger the pipeline again, forever."""
    prefix = os.environ.get(name, default)
    uploads = upload_prefix()
    if not prefix or prefix.startswith(uploads) or uploads.startswith(prefix):
        raise ValueError(f"{name} {prefix!r} must not overlap UPLOAD_PREFIX {uploads!r}")
    return prefix
