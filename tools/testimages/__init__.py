"""Generators of real test images, as encoded bytes, for tests, the bench and the CLI.

Every function is deterministic (seeded, no C-level randomness) and returns the encoded file as `bytes`
unless it says otherwise. It lives in tools/ because tools/ never imports tests/. Typical use::

    from tools import testimages as images        # or: from tools.testimages import jpeg

    images.jpeg(4000, 3000)                       # 12 MP photo-like JPEG
    images.oriented_jpeg(6)                       # EXIF orientation 6; upright it equals orientation_pattern()
    images.jpeg(800, 600, icc_profile=images.adobe_rgb_profile())   # non-sRGB embedded profile
    images.metadata_jpeg()                        # EXIF with GPS + camera + UserComment, COM comment, ICC, XMP
    images.cmyk_jpeg(), images.png16(), images.palette_png(), images.rgba_png(), images.rgb_png()
    images.webp(2048, 1536), images.photo_gif()   # still lossy WebP, animated GIF of photo content
    images.animated_gif(), images.animated_webp() # first frame is FRAME_COLORS[0]
    images.truncated_jpeg(), images.not_an_image(), images.bomb_png()
    images.write_corpus(tmp_path)                 # one file of each kind -> {name: Path}

Pixel-level helpers for assertions: `orientation_pattern`, `QUADRANT_COLORS`, `FRAME_COLORS`, `photo`.
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from collections.abc import Iterable
from pathlib import Path

from PIL import ExifTags, Image, ImageDraw

# Upright orientation_pattern(): top-left, top-right, bottom-left, bottom-right quadrant colours.
QUADRANT_COLORS: tuple[tuple[int, int, int], ...] = ((220, 30, 30), (30, 200, 30), (30, 30, 220), (240, 240, 240))
# Frame colours of animated_gif()/animated_webp(), in order.
FRAME_COLORS: tuple[tuple[int, int, int], ...] = ((200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40))
GPS_LATITUDE = (52.0, 31.0, 12.5)
GPS_LONGITUDE = (13.0, 24.0, 36.0)
COMMENT = "secret comment: taken at the lake house"

# Pillow's exif_transpose() applies these; stored pixels are the inverse so the upright image is known.
_UNDO_ORIENTATION: dict[int, Image.Transpose | None] = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,  # exif_transpose applies ROTATE_270 for 6
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,  # exif_transpose applies ROTATE_90 for 8
}


# ---------------------------------------------------------------------------------------------- pixel sources


def photo(width: int, height: int, *, seed: int = 0, mode: str = "RGB") -> Image.Image:
    """A photo-like picture: smooth colour blobs, fine grain and hard edges (so resampling quality shows)."""
    rng = random.Random(seed)
    small = (max(2, width // 48), max(2, height // 48))
    base = Image.frombytes("RGB", small, rng.randbytes(small[0] * small[1] * 3)).resize((width, height), Image.BICUBIC)
    tile = 128
    grain = Image.frombytes("L", (tile, tile), rng.randbytes(tile * tile))
    grain_full = Image.new("L", (width, height))
    for y in range(0, height, tile):
        for x in range(0, width, tile):
            grain_full.paste(grain, (x, y))
    grain_rgb = Image.merge("RGB", (grain_full, grain_full, grain_full))
    img = Image.blend(base, grain_rgb, 0.12)
    draw = ImageDraw.Draw(img)
    for _ in range(24):  # hard edges and thin lines: where bad resampling loses PSNR
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = rng.randrange(width), rng.randrange(height)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.rectangle(
                (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)), outline=colour, width=max(1, width // 400)
            )
        else:
            draw.line((x0, y0, x1, y1), fill=colour, width=max(1, width // 800))
    return img if mode == "RGB" else img.convert(mode)


def orientation_pattern(width: int = 400, height: int = 200) -> Image.Image:
    """Upright RGB picture with four distinct quadrants (see QUADRANT_COLORS): any flip or rotation shows."""
    img = Image.new("RGB", (width, height))
    half_w, half_h = width // 2, height // 2
    boxes = (
        (0, 0, half_w, half_h),
        (half_w, 0, width, half_h),
        (0, half_h, half_w, height),
        (half_w, half_h, width, height),
    )
    for box, colour in zip(boxes, QUADRANT_COLORS, strict=True):
        img.paste(colour, box)
    return img


def encode(img: Image.Image, fmt: str, **params: object) -> bytes:
    """Encode a Pillow image to bytes (`fmt` as Pillow names it: "JPEG", "PNG", "WEBP", "GIF", ...)."""
    out = io.BytesIO()
    img.save(out, fmt, **params)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------- ICC profiles


def _s15f16(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz_tag(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + _s15f16(x) + _s15f16(y) + _s15f16(z)


def _icc_v2_rgb(description: str, primaries: Iterable[tuple[float, float, float]], gamma: float) -> bytes:
    """A minimal valid ICC v2 RGB matrix/TRC display profile (what Adobe RGB and most camera profiles are)."""
    desc = description.encode("ascii") + b"\0"
    desc_tag = b"desc\0\0\0\0" + struct.pack(">I", len(desc)) + desc + b"\0" * 8 + b"\0" * 3 + b"\0" * 67
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"
    r, g, b = primaries
    tags = [
        (b"desc", desc_tag),
        (b"wtpt", _xyz_tag(0.9642, 1.0, 0.82491)),
        (b"rXYZ", _xyz_tag(*r)),
        (b"gXYZ", _xyz_tag(*g)),
        (b"bXYZ", _xyz_tag(*b)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", b"text\0\0\0\0public domain test profile\0"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (
        struct.pack(">I", size)
        + b"none"
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + struct.pack(">6H", 2026, 1, 1, 0, 0, 0)
        + b"acsp"
        + b"\0" * 4  # platform
        + b"\0" * 4  # flags
        + b"\0" * 8  # manufacturer, model
        + b"\0" * 8  # attributes
        + struct.pack(">I", 0)  # perceptual intent
        + _s15f16(0.9642)
        + _s15f16(1.0)
        + _s15f16(0.82491)
        + b"test"
        + b"\0" * 16  # profile id
        + b"\0" * 28
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


def adobe_rgb_profile() -> bytes:
    """An Adobe-RGB-(1998)-like ICC profile (wide gamut, gamma 2.2): converting it to sRGB visibly changes pixels."""
    return _icc_v2_rgb(
        "Adobe RGB like (test)",
        ((0.60974, 0.31111, 0.01947), (0.20528, 0.62567, 0.06087), (0.14919, 0.06322, 0.74457)),
        563 / 256,
    )


def srgb_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


# ---------------------------------------------------------------------------------------------- EXIF


def exif_bytes(*, orientation: int | None = None, gps: bool = False, camera: bool = False) -> bytes:
    """Raw EXIF block with the requested tags (GPS position, camera make/model/UserComment)."""
    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if camera:
        exif[ExifTags.Base.Make] = "TestCam"
        exif[ExifTags.Base.Model] = "Model 7"
        exif[ExifTags.Base.ImageDescription] = COMMENT
        exif[ExifTags.Base.DateTime] = "2026:11:27 10:00:00"
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.UserComment] = b"ASCII\0\0\0" + COMMENT.encode()
    if gps:
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps_ifd[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
        gps_ifd[ExifTags.GPS.GPSLongitudeRef] = "E"
        gps_ifd[ExifTags.GPS.GPSLongitude] = GPS_LONGITUDE
    return exif.tobytes()


# ---------------------------------------------------------------------------------------------- JPEG


def jpeg(
    width: int = 640,
    height: int = 480,
    *,
    seed: int = 0,
    quality: int = 90,
    orientation: int | None = None,
    icc_profile: bytes | None = None,
    gps: bool = False,
    camera: bool = False,
    comment: str | None = None,
    image: Image.Image | None = None,
) -> bytes:
    """RGB JPEG of `photo(width, height)` (or of `image`), with optional EXIF, ICC profile and COM comment."""
    img = image if image is not None else photo(width, height, seed=seed)
    params: dict[str, object] = {"quality": quality}
    if orientation is not None or gps or camera:
        params["exif"] = exif_bytes(orientation=orientation, gps=gps, camera=camera)
    if icc_profile is not None:
        params["icc_profile"] = icc_profile
    if comment is not None:
        params["comment"] = comment
    return encode(img, "JPEG", **params)


def oriented_jpeg(orientation: int, width: int = 400, height: int = 200, *, quality: int = 95) -> bytes:
    """JPEG tagged with `orientation` (1..8) whose pixels, once the orientation is applied, are
    orientation_pattern(width, height): width x height, QUADRANT_COLORS in reading order."""
    upright = orientation_pattern(width, height)
    undo = _UNDO_ORIENTATION[orientation]
    stored = upright if undo is None else upright.transpose(undo)
    return jpeg(image=stored, quality=quality, orientation=orientation)


def metadata_jpeg(width: int = 640, height: int = 480) -> bytes:
    """JPEG carrying every kind of metadata that must never reach an output: EXIF (GPS, camera, UserComment,
    ImageDescription), a COM comment, an ICC profile and an XMP packet."""
    img = photo(width, height, seed=7)
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="Jane Secret"/></rdf:RDF></x:xmpmeta>'
    )
    return encode(
        img,
        "JPEG",
        quality=90,
        exif=exif_bytes(gps=True, camera=True),
        comment=COMMENT,
        icc_profile=srgb_profile(),
        xmp=xmp,
    )


def cmyk_jpeg(width: int = 600, height: int = 400, *, seed: int = 3) -> bytes:
    """CMYK JPEG (as Photoshop and print workflows write them; Pillow writes Adobe-inverted CMYK)."""
    return encode(photo(width, height, seed=seed).convert("CMYK"), "JPEG", quality=90)


def truncated_jpeg(width: int = 800, height: int = 600, *, keep: float = 0.5) -> bytes:
    """A JPEG cut off after `keep` of its bytes: the header parses, the scan data ends early."""
    data = jpeg(width, height, seed=11)
    return data[: int(len(data) * keep)]


def grayscale_jpeg(width: int = 500, height: int = 300) -> bytes:
    return encode(photo(width, height, seed=5, mode="L"), "JPEG", quality=90)


# ---------------------------------------------------------------------------------------------- PNG, GIF, WebP


def png16(width: int = 600, height: int = 400) -> bytes:
    """16-bit greyscale PNG (mode I;16): a horizontal ramp over the full 0..65535 range."""
    ramp = Image.linear_gradient("L").rotate(90).resize((width, height))  # 8-bit ramp, dark at the left
    wide = ramp.point(lambda v: v * 257, "I")  # 0..255 -> 0..65535 in a 32-bit image
    img = wide.convert("I;16")
    data = encode(img, "PNG")
    assert Image.open(io.BytesIO(data)).mode == "I;16"
    return data


def palette_png(width: int = 400, height: int = 300, *, transparent: bool = True) -> bytes:
    """Palette (P) PNG: left half colour index 1 (red), right half index 2 (blue); index 0 = fully transparent
    border of 20 px when `transparent`."""
    img = Image.new("P", (width, height), 0)
    img.putpalette([0, 0, 0, 255, 0, 0, 0, 0, 255] + [0, 0, 0] * 253)
    img.paste(1, (20, 20, width // 2, height - 20))
    img.paste(2, (width // 2, 20, width - 20, height - 20))
    params: dict[str, object] = {"transparency": 0} if transparent else {}
    return encode(img, "PNG", **params)


def rgba_png(width: int = 800, height: int = 600, *, seed: int = 2) -> bytes:
    """RGBA PNG: photo content with an alpha ramp (0 at the left edge, 255 at the right) and a fully
    transparent 10%-wide stripe on the left."""
    img = photo(width, height, seed=seed).convert("RGBA")
    alpha = Image.linear_gradient("L").rotate(90).resize((width, height))
    alpha.paste(0, (0, 0, width // 10, height))
    img.putalpha(alpha)
    return encode(img, "PNG", compress_level=1)


def rgb_png(width: int = 800, height: int = 600, *, seed: int = 2) -> bytes:
    """RGB PNG (no alpha) of photo content, at zlib's default level (what most tools write)."""
    return encode(photo(width, height, seed=seed), "PNG")


def webp(width: int = 800, height: int = 600, *, seed: int = 0, quality: int = 80, alpha: bool = False) -> bytes:
    """Still lossy WebP of photo content, as phones and web tools write them; with `alpha`, rgba_png()'s alpha."""
    img = photo(width, height, seed=seed)
    if alpha:
        img = Image.open(io.BytesIO(rgba_png(width, height, seed=seed)))
    return encode(img, "WEBP", quality=quality)


def heic(
    width: int = 800,
    height: int = 600,
    *,
    seed: int = 0,
    quality: int = 70,
    alpha: bool = False,
    exif: bytes | None = None,
    icc_profile: bytes | None = None,
    tile: int = 0,
    picture: Image.Image | None = None,
) -> bytes:
    """HEIC (HEVC in HEIF) of photo content, as phones write them; `tile` > 0 makes a grid of tile x tile images
    (iPhones write 512). x265's fastest preset: a 12 MP file takes ~4 s to encode here, not ~30."""
    import pillow_heif

    img = picture or photo(width, height, seed=seed)
    if alpha and picture is None:
        img = Image.open(io.BytesIO(rgba_png(width, height, seed=seed)))
    params: dict[str, object] = {"quality": quality, "enc_params": {"preset": "ultrafast"}}
    if exif is not None:
        params["exif"] = exif
    if icc_profile is not None:
        params["icc_profile"] = icc_profile
    previous = pillow_heif.options.GRID_TILE_SIZE
    pillow_heif.options.GRID_TILE_SIZE = tile
    try:
        out = io.BytesIO()
        pillow_heif.from_pillow(img).save(out, **params)
    finally:
        pillow_heif.options.GRID_TILE_SIZE = previous
    return out.getvalue()


def avif(
    width: int = 800,
    height: int = 600,
    *,
    seed: int = 0,
    quality: int = 70,
    alpha: bool = False,
    frames: int = 1,
    exif: bytes | None = None,
    icc_profile: bytes | None = None,
    picture: Image.Image | None = None,
) -> bytes:
    """AVIF of photo content (libaom at speed 8); `frames` > 1 makes an image sequence of that many pictures."""
    img = picture or photo(width, height, seed=seed)
    if alpha and picture is None:
        img = Image.open(io.BytesIO(rgba_png(width, height, seed=seed)))
    params: dict[str, object] = {"quality": quality, "speed": 8}
    if exif is not None:
        params["exif"] = exif
    if icc_profile is not None:
        params["icc_profile"] = icc_profile
    if frames > 1:
        params.update(save_all=True, append_images=[photo(width, height, seed=seed + i) for i in range(1, frames)])
    return encode(img, "AVIF", **params)


def photo_gif(width: int = 640, height: int = 480, *, seed: int = 0, frames: int = 3) -> bytes:
    """Animated GIF of photo content (256-colour palette, the first frame full of detail)."""
    first = photo(width, height, seed=seed).quantize(256)
    rest = [photo(width, height, seed=seed + i).quantize(256) for i in range(1, frames)]
    return encode(first, "GIF", save_all=True, append_images=rest, duration=100, loop=0)


def png_with_late_exif(img: Image.Image, orientation: int) -> bytes:
    """PNG of `img` with an eXIf chunk (the orientation tag) after the pixel data: PNG allows it anywhere
    before IEND, so readers only see it once they have read past IDAT."""
    data = encode(img, "PNG")
    iend = data.rindex(b"IEND") - 4
    tiff = exif_bytes(orientation=orientation).removeprefix(b"Exif\x00\x00")  # eXIf holds bare TIFF data
    return data[:iend] + _png_chunk(b"eXIf", tiff) + data[iend:]


def _frames(width: int, height: int, count: int) -> list[Image.Image]:
    return [Image.new("RGB", (width, height), FRAME_COLORS[i % len(FRAME_COLORS)]) for i in range(count)]


def animated_gif(width: int = 300, height: int = 200, *, frames: int = 3) -> bytes:
    """Animated GIF; frame i is a flat FRAME_COLORS[i]."""
    first, *rest = _frames(width, height, frames)
    return encode(first, "GIF", save_all=True, append_images=rest, duration=100, loop=0)


def animated_webp(width: int = 300, height: int = 200, *, frames: int = 3) -> bytes:
    """Animated WebP (lossless); frame i is a flat FRAME_COLORS[i]."""
    first, *rest = _frames(width, height, frames)
    return encode(first, "WEBP", save_all=True, append_images=rest, duration=100, loop=0, lossless=True)


# ---------------------------------------------------------------------------------------------- hostile input


def not_an_image() -> bytes:
    """Bytes that no image plugin recognises (a PDF-ish text document)."""
    return b"%PDF-1.7\n% not really a PDF, certainly not an image\n" + b"lorem ipsum " * 100


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """Decompression bomb: a tiny PNG (< 1 KB) whose header claims width x height 8-bit RGB pixels
    (default 10^10 pixels = 30 GB decoded). Its zlib stream holds zero rows and stops early, so decoding
    it would allocate the whole canvas before noticing; it must be rejected from the header alone."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\0" * (1 + 3 * min(width, 4096))
    idat = compressor.compress(row * 8) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


# ---------------------------------------------------------------------------------------------- corpus


def write_corpus(directory: Path) -> dict[str, Path]:
    """Write one small file of each kind into `directory` and return {name: path}. Names ending in
    `_bad` are the ones a resizer must reject (not_an_image, truncated, bomb)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "photo.jpg": jpeg(900, 600),
        "rotated_6.jpg": oriented_jpeg(6),
        "adobe_rgb.jpg": jpeg(500, 400, icc_profile=adobe_rgb_profile()),
        "metadata.jpg": metadata_jpeg(),
        "cmyk.jpg": cmyk_jpeg(),
        "gray16.png": png16(),
        "palette.png": palette_png(),
        "rgba.png": rgba_png(600, 400),
        "animated.gif": animated_gif(),
        "animated.webp": animated_webp(),
        "tiny.png": encode(Image.new("RGB", (40, 30), (10, 120, 200)), "PNG"),
        "not_an_image_bad.jpg": not_an_image(),
        "truncated_bad.jpg": truncated_jpeg(),
        "bomb_bad.png": bomb_png(),
    }
    paths = {}
    for name, data in files.items():
        path = directory / name
        path.write_bytes(data)
        paths[name] = path
    return paths
