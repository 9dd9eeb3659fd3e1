"""Shared core of the image pipeline's consumers.

Kept import-light on purpose: importing a handler must stay cheap (cold start), so heavy modules (boto3,
pydantic, the X-Ray SDK, Powertools' batch and idempotency utilities) are imported on first use only.
"""
