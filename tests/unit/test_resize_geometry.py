"""Property tests of the thumbnail geometry (fit): aspect ratio kept to the pixel, long edge =
min(size, original long edge), never zero, never upscaled — and render() really produces those sizes."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from image_resizer.geometry import fit
from image_resizer.spec import ThumbnailSpec
from image_resizer.thumbnails import render
from tools import testimages as images

dims = st.integers(min_value=1, max_value=100_000)
sizes = st.integers(min_value=1, max_value=4_096)


@given(width=dims, height=dims, size=sizes)
def test_long_edge_is_the_size_or_the_original(width: int, height: int, size: int) -> None:
    w, h = fit(width, height, size)

    assert max(w, h) == min(size, max(width, height))
    assert w >= 1 and h >= 1
    assert w <= width and h <= height  # never upscaled
    assert (w >= h) == (width >= height) or w == h  # orientation kept


@given(width=dims, height=dims, size=sizes)
def test_aspect_ratio_kept_within_rounding(width: int, height: int, size: int) -> None:
    w, h = fit(width, height, size)

    if (w, h) == (width, height):
        return
    # The short edge is the exact scaled value rounded to the nearest pixel (or 1 when that rounds to 0).
    if width >= height:
        exact = height * w / width
        assert abs(h - exact) <= 0.5 or h == 1
    else:
        exact = width * h / height
        assert abs(w - exact) <= 0.5 or w == 1


@given(width=dims, height=dims, big=sizes, small=sizes)
def test_smaller_size_never_gives_a_larger_thumbnail(width: int, height: int, big: int, small: int) -> None:
    big, small = max(big, small), min(big, small)

    bw, bh = fit(width, height, big)
    sw, sh = fit(width, height, small)

    assert sw <= bw and sh <= bh


@pytest.mark.parametrize("bad", [(0, 10, 10), (10, 0, 10), (10, 10, 0), (-1, 5, 5)])
def test_rejects_non_positive_input(bad: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError):
        fit(*bad)


@settings(max_examples=25, deadline=None)
@given(
    width=st.integers(min_value=1, max_value=700),
    height=st.integers(min_value=1, max_value=700),
    size_list=st.lists(st.integers(min_value=1, max_value=600), min_size=1, max_size=4, unique=True),
    fmt=st.sampled_from(["webp", "jpeg"]),
)
def test_rendered_thumbnails_have_the_planned_dimensions(
    width: int, height: int, size_list: list[int], fmt: str
) -> None:
    data = images.encode(Image.new("RGB", (width, height), (90, 140, 200)), "PNG")

    thumbs = render(data, ThumbnailSpec(sizes=tuple(size_list), format=fmt)).thumbnails

    assert [(t.size, t.width, t.height) for t in thumbs] == [(s, *fit(width, height, s)) for s in size_list]
    for thumb in thumbs:
        with Image.open(io.BytesIO(thumb.body)) as out:
            assert out.size == (thumb.width, thumb.height)
