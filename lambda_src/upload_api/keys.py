"""Upload keys, built by the server only: `<upload_prefix><owner>/<uuid>.<ext>` (pure; no AWS).

The owner folder is the authenticated subject (the JWT's `sub`), never anything the client sends; the name is a
fresh UUID; the extension follows the declared content type, which must be one the image consumers accept
(consumer_core.imaging.formats.UPLOAD_CONTENT_TYPES, the one home of that fact: HEIC/HEIF and AVIF included). An
image id is the file name the server made (`<uuid>.<ext>`), so a caller can only ever name keys in their own folder.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from types import MappingProxyType

from consumer_core.imaging.formats import UPLOAD_CONTENT_TYPES
from upload_api.errors import InvalidImageId, UnsupportedContentType, UnusableSubject


def _extension(mime: str) -> str:
    """The MIME subtype; `jpg` for JPEG (what every camera writes); `<format>s` for an image sequence (`heics`,
    `avifs`: the extensions registered with `image/heic-sequence` and `image/avif-sequence`)."""
    subtype = mime.split("/", 1)[1]
    if subtype == "jpeg":
        return "jpg"
    return f"{subtype.removesuffix('-sequence')}s" if subtype.endswith("-sequence") else subtype


# Extensions by content type, in the order of the consumers' table.
EXTENSIONS = MappingProxyType({mime: _extension(mime) for mime in UPLOAD_CONTENT_TYPES})
ACCEPTED_CONTENT_TYPES: tuple[str, ...] = tuple(EXTENSIONS)

# Subjects that name a folder safely: what Cognito (UUIDs), Auth0 (`auth0|...`), Google (digits), Okta and Entra
# ID (base64url) issue. Never `/` (a second folder level), never a leading dot (`.`, `..`), at most 128 characters.
_SUBJECT = re.compile(r"[A-Za-z0-9_@|:+=-][A-Za-z0-9._@|:+=-]{0,127}")
_IMAGE_ID = re.compile(
    r"(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})\.(?P<ext>[a-z0-9]{1,8})"
)


@dataclass(frozen=True)
class UploadKey:
    image_id: str  # `<uuid>.<ext>`: what the API returns and the GET/DELETE routes take
    key: str  # the object key in the bucket
    content_type: str


def owner_folder(subject: str) -> str:
    if not _SUBJECT.fullmatch(subject):
        raise UnusableSubject(
            "the token's subject cannot name an upload folder (1-128 letters, digits or ._@|:+=-, no leading dot)"
        )
    return subject


def new_upload_key(prefix: str, subject: str, content_type: str) -> UploadKey:
    """A fresh key in the subject's folder for an upload of `content_type` (normalised, parameters refused)."""
    mime = content_type.strip().lower()
    extension = EXTENSIONS.get(mime)
    if extension is None:
        raise UnsupportedContentType(
            f"{content_type or 'this file'} is not an image type this pipeline accepts: "
            f"{', '.join(ACCEPTED_CONTENT_TYPES)}",
            accepted_content_types=list(ACCEPTED_CONTENT_TYPES),
        )
    image_id = f"{uuid.uuid4()}.{extension}"
    return UploadKey(image_id, f"{prefix}{owner_folder(subject)}/{image_id}", mime)


def image_key(prefix: str, subject: str, image_id: str) -> str:
    """The key of the subject's image `image_id`; ids the server could not have made are refused."""
    match = _IMAGE_ID.fullmatch(image_id)
    if match is None or match.group("ext") not in EXTENSIONS.values():
        raise InvalidImageId("an image id is the <uuid>.<extension> that POST /uploads returned")
    return f"{prefix}{owner_folder(subject)}/{image_id}"


__all__ = [
    "ACCEPTED_CONTENT_TYPES",
    "EXTENSIONS",
    "UploadKey",
    "image_key",
    "new_upload_key",
    "owner_folder",
]
