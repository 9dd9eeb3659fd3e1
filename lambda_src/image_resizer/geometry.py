"""Thumbnail geometry: output dimensions per size, and what to decode for the largest."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from consumer_core.imaging import orientation
from consumer_core.imaging.pixels import fit


@dataclass(frozen=True)
class Plan:
    """Displayed dimensions per requested size, and the largest one in stored (pre-rotation) orientation: the
    size everything is first resampled to."""

    targets: dict[int, tuple[int, int]]
    largest_stored: tuple[int, int]

    @property
    def distinct(self) -> list[tuple[int, int]]:
        """Every output's dimensions once, largest first (the cascade's order)."""
        return sorted(set(self.targets.values()), reverse=True)


def plan(stored: tuple[int, int], orientation_value: int, sizes: Iterable[int]) -> Plan:
    swapped = orientation.swaps_axes(orientation_value)
    shown_w, shown_h = (stored[1], stored[0]) if swapped else stored
    targets = {size: fit(shown_w, shown_h, size) for size in sizes}
    largest = max(targets.values(), key=lambda dims: dims[0] * dims[1])
    return Plan(targets, (largest[1], largest[0]) if swapped else largest)


__all__ = ["Plan", "fit", "plan"]
