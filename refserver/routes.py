"""Routes of /v2/campaigns. Only POST is in the contract; the variants serve the other
methods the ways real servers do (the default: 405 with Allow: POST, from Starlette)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, request_response
from starlette.types import Receive, Scope, Send

from . import shaping
from .variants import active

PATH = "/v2/campaigns"
Endpoint = Callable[[Request], Awaitable[Response]]


async def list_campaigns(request: Request) -> Response:
    # The vendor's list endpoint lives on the same path; an empty page stands in for it.
    return shaping.respond(200, {"campaigns": []})


async def not_found(request: Request) -> Response:
    return shaping.respond(404, {"message": "Not Found", "code": "NOT_FOUND"})


async def not_allowed(request: Request) -> Response:
    return shaping.respond(405, {"message": "Method Not Allowed", "code": "METHOD_NOT_ALLOWED"})


class _PostOnly:
    """Routes POST to the endpoint and every other method, known or not, to a 404."""

    def __init__(self, create: Endpoint, other: Endpoint = not_found) -> None:
        self._create = request_response(create)
        self._other = request_response(other)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = self._create if scope["method"] == "POST" else self._other
        await target(scope, receive, send)


def campaign_routes(create: Endpoint) -> list[BaseRoute]:
    if active("post_only_404"):
        # An ASGI app as endpoint with no `methods` matches every method.
        return [Route(PATH, _PostOnly(create))]
    if active("method_not_allowed_without_allow"):
        return [Route(PATH, _PostOnly(create, not_allowed))]
    routes: list[BaseRoute] = [Route(PATH, create, methods=["POST"])]
    if active("list_endpoint_get"):
        routes.append(Route(PATH, list_campaigns, methods=["GET"]))
    return routes
