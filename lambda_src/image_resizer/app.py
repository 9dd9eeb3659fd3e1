"""Lambda entry point of image_resizer: parse, make thumbnails, report (see consumer_core.runtime)."""

from consumer_core import reprocess, uploads
from consumer_core.rejections import announce_rejections
from consumer_core.runtime import ConsumerHandler
from image_resizer.service import CONSUMER, make_and_store_thumbnails

handler = ConsumerHandler(
    consumer=CONSUMER,
    process=reprocess.reprocessable(make_and_store_thumbnails),
    parse=reprocess.parse_upload_event,
    on_rejected=announce_rejections(CONSUMER),
    prefetch=uploads.prefetch,
)
