"""Lambda entry point of metadata_extractor: parse, extract, report (see consumer_core.runtime)."""

from consumer_core import reprocess, uploads
from consumer_core.rejections import announce_rejections
from consumer_core.runtime import ConsumerHandler
from metadata_extractor.service import CONSUMER, extract_and_store_metadata

handler = ConsumerHandler(
    consumer=CONSUMER,
    process=reprocess.reprocessable(extract_and_store_metadata),
    parse=reprocess.parse_upload_event,
    on_rejected=announce_rejections(CONSUMER),
    prefetch=uploads.prefetch,
)
