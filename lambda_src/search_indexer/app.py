"""Lambda entry point of search_indexer: parse any of the five event types, apply to the index, report."""

from consumer_core.runtime import ConsumerHandler
from search_indexer.events import parse_index_event
from search_indexer.service import index_event

# publish_rejections=False: the indexer consumes `Image Rejected`; it must never emit one itself.
handler = ConsumerHandler(
    consumer="search_indexer", process=index_event, parse=parse_index_event, publish_rejections=False
)
