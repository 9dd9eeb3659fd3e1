"""Lambda entry point of search_indexer: parse any of the five event types, apply to the index, report."""

from consumer_core.runtime import ConsumerHandler
from search_indexer.events import parse_index_event
from search_indexer.service import index_event, prefetch

# No rejection hook: the indexer consumes `Image Rejected`; it never emits one itself. Records touch only
# DynamoDB and a few S3 deletes, so one needs little time.
handler = ConsumerHandler(
    consumer="search_indexer",
    process=index_event,
    parse=parse_index_event,
    prefetch=prefetch,
    record_time_budget_s=3.0,
)
