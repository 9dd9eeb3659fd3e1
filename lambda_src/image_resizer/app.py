"""Lambda entry point of image_resizer: parse, make thumbnails, report (see consumer_core.runtime)."""

from consumer_core.runtime import ConsumerHandler
from image_resizer.service import make_and_store_thumbnails

handler = ConsumerHandler(consumer="image_resizer", process=make_and_store_thumbnails)
