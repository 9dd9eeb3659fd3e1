"""search_indexer: the only writer of the search index, one record per image, convergent under any event order."""
