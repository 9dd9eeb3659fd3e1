"""metadata_extractor: reads dimensions, format, EXIF, hashes and a placeholder of every upload."""
