"""The upload API: presigned POSTs into the caller's own folder, and the caller's own images (docs/upload_api.md)."""
