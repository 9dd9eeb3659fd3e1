"""Picture rules of the resizer, checked on real generated images: sizes, orientation, colour management,
alpha, CMYK, 16-bit, palette, animation, no upscaling, metadata stripped."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

from image_resizer.spec import ThumbnailSpec
from image_resizer.thumbnails import Thumbnail, render
from tools import testimages as images


def make_thumbnails(data: bytes, spec: ThumbnailSpec | None = None) -> list[Thumbnail]:
    return render(data, spec).thumbnails


def decode(thumb: Thumbnail) -> Image.Image:
    im = Image.open(io.BytesIO(thumb.body))
    im.load()
    return im


def close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=False))


def by_size(thumbs: list[Thumbnail]) -> dict[int, Thumbnail]:
    return {t.size: t for t in thumbs}


# ---------------------------------------------------------------------------------------------- sizes, formats


def test_default_spec_writes_four_webp_sizes_with_aspect_kept() -> None:
    rendered = render(images.jpeg(1600, 1200))

    assert [(t.size, t.width, t.height) for t in rendered.thumbnails] == [
        (512, 512, 384),
        (256, 256, 192),
        (128, 128, 96),
        (64, 64, 48),
    ]
    for thumb in rendered.thumbnails:
        im = decode(thumb)
        assert (im.format, im.size) == ("WEBP", (thumb.width, thumb.height))
        assert (thumb.format, thumb.content_type) == ("webp", "image/webp")
    assert (rendered.source.format, rendered.source.width, rendered.source.height) == ("JPEG", 1600, 1200)


def test_jpeg_output_format() -> None:
    thumbs = make_thumbnails(images.jpeg(900, 1200), ThumbnailSpec(sizes=(300, 100), format="jpeg"))

    assert [(t.width, t.height, t.content_type) for t in thumbs] == [(225, 300, "image/jpeg"), (75, 100, "image/jpeg")]
    assert all(decode(t).format == "JPEG" for t in thumbs)


def test_sizes_are_returned_in_the_requested_order_whatever_the_cascade_order() -> None:
    thumbs = make_thumbnails(images.jpeg(1000, 500), ThumbnailSpec(sizes=(64, 512, 200)))

    assert [(t.size, t.width, t.height) for t in thumbs] == [(64, 64, 32), (512, 512, 256), (200, 200, 100)]


def test_resized_pixels_match_the_source_content() -> None:
    # A downscale that is geometrically right but samples the wrong region or colour would pass size checks.
    source = images.photo(1200, 800, seed=4)
    spec = ThumbnailSpec(sizes=(120,), format="jpeg", quality=95)
    thumb = make_thumbnails(images.jpeg(image=source, quality=95), spec)[0]
    expected = source.resize((120, 80), Image.Resampling.LANCZOS)
    mirrored = expected.transpose(Image.Transpose.FLIP_LEFT_RIGHT)

    def mean_diff(a: Image.Image, b: Image.Image) -> float:
        diff = [abs(x - y) for x, y in zip(a.tobytes(), b.tobytes(), strict=True)]
        return sum(diff) / len(diff)

    # Encoding a grainy 120x80 picture costs ~6 levels on average (naive Pillow too); a wrong crop costs ~4x.
    assert mean_diff(decode(thumb), expected) < 7.5
    assert mean_diff(decode(thumb), mirrored) > 20


def test_never_upscales_and_encodes_identical_dimensions_once() -> None:
    tiny = images.encode(Image.new("RGB", (40, 30), (10, 120, 200)), "PNG")

    thumbs = make_thumbnails(tiny)

    assert [(t.width, t.height) for t in thumbs] == [(40, 30)] * 4
    assert len({t.body for t in thumbs}) == 1
    assert close(decode(thumbs[0]).convert("RGB").getpixel((20, 15)), (10, 120, 200), 6)


def test_partly_smaller_source_keeps_its_size_for_the_larger_thumbnails() -> None:
    thumbs = by_size(make_thumbnails(images.jpeg(300, 200)))

    assert (thumbs[512].width, thumbs[512].height) == (300, 200)
    assert (thumbs[256].width, thumbs[256].height) == (256, 171)


# ---------------------------------------------------------------------------------------------- orientation


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied(orientation: int) -> None:
    data = images.oriented_jpeg(orientation, 400, 200)

    rendered = render(data, ThumbnailSpec(sizes=(512, 100), format="jpeg", quality=95))

    assert (rendered.source.width, rendered.source.height, rendered.source.orientation) == (400, 200, orientation)
    big, small = (decode(t).convert("RGB") for t in rendered.thumbnails)
    assert big.size == (400, 200)  # upright, not upscaled
    assert small.size == (100, 50)
    for im in (big, small):
        w, h = im.size
        centres = [(w // 4, h // 4), (3 * w // 4, h // 4), (w // 4, 3 * h // 4), (3 * w // 4, 3 * h // 4)]
        for centre, colour in zip(centres, images.QUADRANT_COLORS, strict=True):
            assert close(im.getpixel(centre), colour, 24), (orientation, im.size, centre)


# ---------------------------------------------------------------------------------------------- colour


def _patches(colours: list[tuple[int, int, int]], patch: int = 80) -> Image.Image:
    im = Image.new("RGB", (patch * len(colours), patch))
    for i, colour in enumerate(colours):
        im.paste(colour, (i * patch, 0, (i + 1) * patch, patch))
    return im


def test_icc_profile_is_converted_to_srgb() -> None:
    colours = [(40, 180, 60), (200, 40, 40), (40, 60, 200), (0, 160, 160)]
    data = images.jpeg(image=_patches(colours), quality=98, icc_profile=images.adobe_rgb_profile())
    adobe = ImageCms.ImageCmsProfile(io.BytesIO(images.adobe_rgb_profile()))
    srgb = ImageCms.createProfile("sRGB")

    out = decode(make_thumbnails(data, ThumbnailSpec(sizes=(160,), format="jpeg", quality=98))[0]).convert("RGB")

    moved = 0
    for i, colour in enumerate(colours):
        expected = ImageCms.profileToProfile(Image.new("RGB", (1, 1), colour), adobe, srgb).getpixel((0, 0))
        actual = out.getpixel((i * 40 + 20, 20))
        assert close(actual, expected, 8), (colour, expected, actual)
        moved += max(abs(e - c) for e, c in zip(expected, colour, strict=True)) > 15
    assert moved >= 3  # the profile really is not sRGB: dropping it would have failed the checks above


def test_srgb_profile_leaves_colours_alone() -> None:
    colours = [(40, 180, 60), (200, 40, 40)]
    data = images.jpeg(image=_patches(colours), quality=98, icc_profile=images.srgb_profile())

    out = decode(make_thumbnails(data, ThumbnailSpec(sizes=(80,), format="jpeg", quality=98))[0]).convert("RGB")

    assert close(out.getpixel((20, 20)), colours[0], 6)
    assert close(out.getpixel((60, 20)), colours[1], 6)


def test_unusable_icc_profile_falls_back_to_srgb_instead_of_rejecting() -> None:
    data = images.jpeg(image=_patches([(200, 40, 40)]), quality=98, icc_profile=b"not a profile at all" * 4)

    out = decode(make_thumbnails(data, ThumbnailSpec(sizes=(40,), format="jpeg", quality=98))[0]).convert("RGB")

    assert close(out.getpixel((20, 20)), (200, 40, 40), 6)


def test_cmyk_jpeg_becomes_rgb_with_the_right_colours() -> None:
    colours = [(200, 40, 40), (40, 160, 60), (250, 250, 250)]
    data = images.encode(_patches(colours).convert("CMYK"), "JPEG", quality=98)

    for fmt in ("webp", "jpeg"):
        out = decode(make_thumbnails(data, ThumbnailSpec(sizes=(120,), format=fmt, quality=95))[0])
        assert out.mode == "RGB"
        for i, colour in enumerate(colours):
            assert close(out.getpixel((i * 40 + 20, 20)), colour, 12), (fmt, colour)
    assert render(data).source.mode == "CMYK"


def test_sixteen_bit_png_is_scaled_not_clipped() -> None:
    rendered = render(images.png16(600, 400), ThumbnailSpec(sizes=(300,), format="jpeg", quality=95))

    assert rendered.source.mode == "I;16"
    out = decode(rendered.thumbnails[0]).convert("L")
    left, middle, right = (out.getpixel((x, 100)) for x in (2, 150, 297))
    assert left < 20
    assert 100 < middle < 156
    assert right > 235


def test_grayscale_jpeg() -> None:
    out = make_thumbnails(images.grayscale_jpeg(500, 300), ThumbnailSpec(sizes=(100,), format="jpeg"))[0]

    assert decode(out).mode == "L"
    assert (out.width, out.height) == (100, 60)


# ---------------------------------------------------------------------------------------------- alpha


def test_alpha_is_kept_for_webp() -> None:
    out = decode(make_thumbnails(images.rgba_png(800, 600), ThumbnailSpec(sizes=(400,)))[0])

    assert out.mode == "RGBA"
    alpha = out.getchannel("A")
    assert alpha.getpixel((10, 150)) == 0  # the fully transparent stripe (10% of the width)
    assert alpha.getpixel((395, 150)) > 240  # opaque at the right edge
    assert 100 < alpha.getpixel((200, 150)) < 160  # the ramp survives


def test_alpha_is_flattened_on_the_background_for_jpeg() -> None:
    for background in ((255, 255, 255), (0, 0, 0)):
        spec = ThumbnailSpec(sizes=(400,), format="jpeg", background=background)
        out = decode(make_thumbnails(images.rgba_png(800, 600), spec)[0])
        assert out.mode == "RGB"
        assert close(out.getpixel((10, 150)), background, 6)


def test_transparent_pixels_do_not_bleed_into_resampled_edges() -> None:
    # Left half fully transparent *black*, right half opaque white: straight-alpha resampling would smear
    # grey into the edge; premultiplied resampling keeps everything white once flattened on white.
    im = Image.new("RGBA", (400, 200), (0, 0, 0, 0))
    im.paste((255, 255, 255, 255), (201, 0, 400, 200))
    spec = ThumbnailSpec(sizes=(64,), format="jpeg", quality=95)

    out = decode(make_thumbnails(images.encode(im, "PNG"), spec)[0]).convert("L")

    assert out.getextrema()[0] > 235


def test_opaque_alpha_channel_is_dropped() -> None:
    opaque = images.encode(images.photo(300, 200).convert("RGBA"), "PNG")

    assert decode(make_thumbnails(opaque, ThumbnailSpec(sizes=(100,)))[0]).mode == "RGB"


def test_palette_png_with_transparency() -> None:
    data = images.palette_png(400, 300)
    webp = decode(make_thumbnails(data, ThumbnailSpec(sizes=(200,)))[0])
    jpeg = decode(make_thumbnails(data, ThumbnailSpec(sizes=(200,), format="jpeg", quality=95))[0])

    assert webp.mode == "RGBA"
    assert webp.getpixel((2, 2))[3] == 0  # transparent border
    assert close(webp.getpixel((50, 75)), (255, 0, 0, 255), 12)
    assert close(webp.getpixel((150, 75)), (0, 0, 255, 255), 12)
    assert close(jpeg.getpixel((2, 2)), (255, 255, 255), 8)
    assert close(jpeg.getpixel((50, 75)), (255, 0, 0), 16)


@pytest.mark.parametrize("make", [images.animated_gif, images.animated_webp], ids=["gif", "webp"])
def test_animated_images_use_the_first_frame(make) -> None:
    rendered = render(make(300, 200), ThumbnailSpec(sizes=(150,), format="jpeg", quality=95))

    assert rendered.source.animated
    out = decode(rendered.thumbnails[0])
    assert (out.size, getattr(out, "n_frames", 1)) == ((150, 100), 1)
    assert close(out.getpixel((75, 50)), images.FRAME_COLORS[0], 10)


def test_animated_webp_output_is_a_still_image() -> None:
    out = decode(make_thumbnails(images.animated_webp(), ThumbnailSpec(sizes=(100,)))[0])

    assert not getattr(out, "is_animated", False)


# ---------------------------------------------------------------------------------------------- metadata


@pytest.mark.parametrize("fmt", ["webp", "jpeg"])
def test_all_metadata_is_stripped(fmt: str) -> None:
    data = images.metadata_jpeg()
    source = Image.open(io.BytesIO(data))
    assert {"exif", "comment", "icc_profile", "xmp"} <= set(source.info)  # the input really carries it all

    for thumb in make_thumbnails(data, ThumbnailSpec(format=fmt)):
        out = decode(thumb)
        assert not set(out.info) & {"exif", "comment", "icc_profile", "xmp"}, out.info.keys()
        assert len(out.getexif()) == 0
        for secret in (b"Exif", b"TestCam", images.COMMENT.encode(), b"Jane Secret", b"ICC_PROFILE", b"xmpmeta"):
            assert secret not in thumb.body


def test_webp_output_has_only_image_chunks() -> None:
    thumb = make_thumbnails(images.metadata_jpeg(), ThumbnailSpec(sizes=(64,)))[0]
    body = thumb.body
    chunks, offset = [], 12
    while offset + 8 <= len(body):
        size = int.from_bytes(body[offset + 4 : offset + 8], "little")
        chunks.append(body[offset : offset + 4])
        offset += 8 + size + (size & 1)

    assert body[:4] == b"RIFF" and body[8:12] == b"WEBP"
    assert set(chunks) <= {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}, chunks


def test_orientation_tag_is_not_carried_over_so_viewers_do_not_rotate_twice() -> None:
    out = decode(make_thumbnails(images.oriented_jpeg(6), ThumbnailSpec(sizes=(100,), format="jpeg"))[0])

    assert 0x0112 not in out.getexif()
    assert out.size == (100, 50)


# ---------------------------------------------------------------------------------------------- other containers


@pytest.mark.parametrize(
    ("fmt", "params"),
    [("MPO", {"save_all": True, "append_images": [images.photo(600, 400, seed=3)]}), ("BMP", {}), ("TIFF", {})],
)
def test_other_supported_containers(fmt: str, params: dict) -> None:
    source = images.photo(600, 400)
    rendered = render(images.encode(source, fmt, **params), ThumbnailSpec(sizes=(150,), format="jpeg", quality=95))

    assert rendered.source.format == fmt
    out = decode(rendered.thumbnails[0]).convert("RGB")
    expected = source.resize((150, 100), Image.Resampling.LANCZOS)
    assert out.size == (150, 100)
    assert close(out.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0)), expected.resize((1, 1)).getpixel((0, 0)), 4)


def test_png_exif_orientation_is_applied() -> None:
    stored = images.orientation_pattern(400, 200).transpose(Image.Transpose.ROTATE_90)  # undoes orientation 6
    data = images.encode(stored, "PNG", exif=images.exif_bytes(orientation=6))

    out = decode(make_thumbnails(data, ThumbnailSpec(sizes=(200,), format="jpeg", quality=95))[0]).convert("RGB")

    assert out.size == (200, 100)
    assert close(out.getpixel((50, 25)), images.QUADRANT_COLORS[0], 24)
    assert close(out.getpixel((150, 75)), images.QUADRANT_COLORS[3], 24)


@pytest.mark.parametrize(("environment", "expected"), [({}, "8"), ({"PILLOW_BLOCKS_MAX": "2"}, "2")])
def test_pillow_keeps_freed_blocks_for_the_next_image(environment: dict[str, str], expected: str) -> None:
    """Warm invocations reuse image memory instead of page-faulting it in again; the environment can override."""
    import os
    import subprocess
    import sys

    code = (
        "from image_resizer.thumbnails import render; from tools import testimages as images; "
        "from PIL import Image; render(images.jpeg(300, 200)); print(Image.core.get_blocks_max())"
    )
    env = {k: v for k, v in os.environ.items() if k != "PILLOW_BLOCKS_MAX"} | environment
    env["PYTHONPATH"] = os.pathsep.join(["lambda_src", "."])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == expected
