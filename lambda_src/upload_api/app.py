"""Lambda entry point of the upload API (API Gateway HTTP API, payload 2.0, JWT authorizer): route, call the
service, answer JSON. Every route needs the authorizer's `sub` claim; the service builds every key from it.

    POST   /uploads       {"content_type": "image/jpeg", "size": 123456}  -> 201 {id, key, upload: {url, fields}, ...}
    GET    /images/{id}   -> 200 {id, status, metadata, thumbnails: [{width, height, url}], rejections}
    DELETE /images/{id}   -> 204
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from consumer_core.observability import logger, metrics
from upload_api import service, snapstart
from upload_api.errors import ApiError, InvalidRequest, NotAuthenticated

app = APIGatewayHttpResolver()
UPLOAD_FIELDS = frozenset({"content_type", "size"})


@app.post("/uploads")
def create_upload() -> Response[str]:
    body = _json_object(app.current_event.body)
    unknown = sorted(set(body) - UPLOAD_FIELDS)
    if unknown:
        # The key (and so the file name) is the server's: a client that tries to choose one is told so.
        raise InvalidRequest(
            f"unknown field(s) {', '.join(unknown)}: the server chooses the key; send content_type and size only"
        )
    content_type, size = body.get("content_type"), body.get("size")
    if not isinstance(content_type, str):
        raise InvalidRequest("content_type (a string such as image/jpeg) is required")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise InvalidRequest("size must be the file's size in bytes")
    answer = service.presign_upload(_subject(), content_type, size)
    metrics.add_metric(name="UploadsSigned", unit="Count", value=1)
    return _json(201, answer)


@app.get("/images/<image_id>")
def get_image(image_id: str) -> Response[str]:
    answer = service.describe_image(_subject(), image_id)
    metrics.add_metric(name="ImagesRead", unit="Count", value=1)
    return _json(200, answer)


@app.delete("/images/<image_id>")
def delete_image(image_id: str) -> Response[str]:
    service.delete_image(_subject(), image_id)
    metrics.add_metric(name="ImagesDeleted", unit="Count", value=1)
    return Response(status_code=204, body="")


def refused(error: ApiError) -> Response[str]:
    logger.info("refused", extra={"error": error.code, "status": error.status, "path": app.current_event.path})
    metrics.add_metric(name="Refused", unit="Count", value=1)
    return _json(error.status, error.body())


# Not as a decorator: Powertools' exception_handler is untyped, and mypy --strict would untype `refused`.
app.exception_handler(ApiError)(refused)


@app.not_found
def no_route(_: Exception) -> Response[str]:
    metrics.add_metric(name="NoRoute", unit="Count", value=1)
    return _json(
        404, {"error": "no_route", "message": f"no route {app.current_event.http_method} {app.current_event.path}"}
    )


def _subject() -> str:
    subject = app.current_event.request_context.authorizer.jwt_claim.get("sub")
    if not isinstance(subject, str) or not subject:
        raise NotAuthenticated("this route needs a signed-in caller (a JWT with a sub claim)")
    return subject


def _json_object(raw: str | None) -> dict[str, Any]:
    try:
        body = json.loads(raw or "")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise InvalidRequest('the body must be a JSON object such as {"content_type": "image/jpeg", "size": 1234}')
    return body


def _json(status: int, body: dict[str, Any]) -> Response[str]:
    return Response(status_code=status, content_type="application/json", body=json.dumps(body))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


snapstart.register()

__all__ = ["app", "handler"]
