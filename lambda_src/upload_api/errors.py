"""The API's refusals: one exception type with an HTTP status and a stable code, answered as JSON
`{"error": <code>, "message": <text>}` (plus `accepted_content_types` or `max_bytes` where they help)."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    status = 400
    code = "invalid_request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.details}


class InvalidRequest(ApiError):
    """A body that is not what the route takes, or a field the server decides (the key, the file name)."""


class NotAuthenticated(ApiError):
    """No authenticated subject: the route was deployed without the JWT authorizer (defence in depth)."""

    status = 401
    code = "not_authenticated"


class UnusableSubject(ApiError):
    status = 403
    code = "unusable_subject"


class InvalidImageId(ApiError):
    code = "invalid_image_id"


class ImageNotFound(ApiError):
    """No such image in the caller's folder (another user's images are not found either)."""

    status = 404
    code = "not_found"


class TooLarge(ApiError):
    status = 413
    code = "too_large"


class UnsupportedContentType(ApiError):
    status = 415
    code = "unsupported_content_type"


__all__ = [
    "ApiError",
    "ImageNotFound",
    "InvalidImageId",
    "InvalidRequest",
    "NotAuthenticated",
    "TooLarge",
    "UnsupportedContentType",
    "UnusableSubject",
]
