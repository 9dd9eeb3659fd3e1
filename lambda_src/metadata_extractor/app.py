"""Lambda entry point of metadata_extractor: parse, extract, report (see consumer_core.runtime)."""

from consumer_core.runtime import ConsumerHandler
from metadata_extractor.service import extract_and_store_metadata

handler = ConsumerHandler(consumer="metadata_extractor", process=extract_and_store_metadata)
