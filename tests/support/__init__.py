"""Shared test support (S3 and index events, event schemas, AWS fixtures, a Lambda context).

Generated test images live in tools/testimages: `from tools import testimages as images`."""
