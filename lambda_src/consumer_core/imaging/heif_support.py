"""HEIC (HEIF with HEVC, what phones write) through pillow-heif (libheif + libde265), and AVIF through Pillow's own
reader (libavif + dav1d), set up for untrusted input.

Both decoders run on one thread: the CPU budget counts process CPU, and a Lambda function below 1,769 MB has less
than one vCPU anyway. pillow-heif reads only the primary image: no thumbnails, depth maps or auxiliary images are
decoded (an alpha plane still is: it belongs to the picture). libheif keeps its own security limits as a second
line behind the structure walk (structure/heif.py).

pillow-heif is optional: a layer built with `--no-heif-decoder` (`make build HEIF_DECODER=0`) leaves it out, and
HEIC uploads are then `unsupported_format`, named as such. AVIF needs nothing beyond Pillow.
"""

from __future__ import annotations

import functools
import logging


@functools.cache
def heif_available() -> bool:
    """Whether HEIC can be decoded here; registers pillow-heif's reader with Pillow (once)."""
    try:
        import pillow_heif
    except ImportError as exc:
        logging.getLogger(__name__).info("HEIC uploads are not accepted: pillow-heif is not installed (%s)", exc)
        return False
    options = pillow_heif.options
    options.DECODE_THREADS = 1
    options.THUMBNAILS = False
    options.DEPTH_IMAGES = False
    options.AUX_IMAGES = False
    pillow_heif.register_heif_opener()
    return True


def configure_avif() -> None:
    """Pillow's AVIF reader on one thread (its default is one per CPU)."""
    from PIL import AvifImagePlugin

    AvifImagePlugin.DEFAULT_MAX_THREADS = 1


__all__ = ["configure_avif", "heif_available"]
