"""Starlette app of the reference server: POST /v2/campaigns per CONTRACT.md."""

from __future__ import annotations

import asyncio
import itertools
import logging
import traceback
from collections import OrderedDict
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from . import (
    campaign,
    config,
    defects,
    jsonbody,
    seed,
    shaping,
    storage,
    validation,
    variants,
    wire,
)
from .defects import active
from .ratelimit import make_limiter, too_many
from .routes import campaign_routes

log = logging.getLogger("refserver")

MAX_STORED = 10_000
# Arrivals counted across apps: only their parity matters (answers_out_of_order).
_ARRIVALS = itertools.count()
_DEEP = 64


class PlantedFault(RuntimeError):
    """Raised by robustness defects; unlike real bugs, not worth a log line."""


class Rejected(Exception):
    """Ends a request early with a ready response."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    media = shaping.MEDIA
    if 400 <= status < 500 and active("error_content_type_html"):
        media = "text/html"
    elif status in (200, 201) and active("text_plain_content_type"):
        media = "text/plain"
    return shaping.respond(status, body, headers, media)


def _error(status: int, code: str, message: str) -> Rejected:
    return Rejected(_json(status, {"message": message, "code": code}))


def _internal_error() -> Response:
    return _json(500, {"message": "Internal server error", "code": "INTERNAL_ERROR"})


def _authenticate(key: str | None) -> seed.Principal:
    table = seed.principals()
    principal = None
    if key is not None:
        if active("prefix_not_required"):
            stripped = {k.removeprefix("cc_"): p for k, p in table.items()}
            principal = stripped.get(key.removeprefix("cc_"))
        elif active("key_case_insensitive"):
            principal = {k.lower(): p for k, p in table.items()}.get(key.lower())
        elif key.startswith("cc_"):
            principal = table.get(key)
            if principal is None and active("unknown_key_accepted"):
                principal = table[seed.settings().key]
    if principal is None:
        if not active("auth_ignored"):
            code = "FORBIDDEN" if active("unauthorized_code_wrong") else "UNAUTHORIZED"
            raise _error(401, code, "Missing or invalid API key")
        principal = table[seed.settings().key]
    if not principal.can_create:
        if active("forbidden_as_401"):
            raise _error(401, "UNAUTHORIZED", "Missing or invalid API key")
        if not active("forbidden_ignored"):
            raise _error(403, "FORBIDDEN", "This API key may not create campaigns")
        principal = seed.Principal(principal.client, True)
    return principal


def _traceback_500(exc: BaseException | None = None) -> Rejected:
    if exc is None:
        try:
            raise RecursionError("maximum recursion depth exceeded while decoding a JSON object")
        except RecursionError as raised:
            exc = raised
    text = "".join(traceback.format_exception(exc))
    return Rejected(_json(500, {"message": text, "code": "INTERNAL_ERROR"}))


def _malformed(message: str) -> Rejected:
    if active("malformed_json_500"):
        raise PlantedFault(message)
    if active("bad_request_422"):
        error = {"path": [], "message": message, "code": "invalid_json"}
        return _validation_failed([error])
    return _error(400, "BAD_REQUEST", message)


async def _parse(request: Request) -> Any:
    if not active("non_json_content_type_accepted") and not jsonbody.is_json_media(
        request.headers.get("content-type")
    ):
        raise _error(400, "BAD_REQUEST", "Content-Type must be application/json")
    raw = await request.body()
    if not raw:
        if active("empty_body_500"):
            raise PlantedFault("empty body")
        raise _error(400, "BAD_REQUEST", "Request body is empty")
    try:
        body = jsonbody.loads(raw)
    except RecursionError as exc:
        if active("stack_trace_500"):
            raise _traceback_500(exc) from None
        raise _error(400, "BAD_REQUEST", "Request body is nested too deeply") from None
    except ValueError as exc:
        raise _malformed(f"Request body is not valid JSON: {exc}") from None
    if active("stack_trace_500") and jsonbody.depth(body) > _DEEP:
        raise _traceback_500()
    return body


def _validation_failed(errors: list[dict[str, Any]]) -> Rejected:
    if active("validation_errors_empty"):
        errors = []
    for error in errors:
        if active("validation_path_generic"):
            error["path"] = ["body"]
        elif active("validation_path_string"):
            error["path"] = ".".join(str(part) for part in error["path"])
    body = {
        "message": "Request body failed validation",
        "code": "BAD_REQUEST" if active("validation_code_wrong") else "VALIDATION_ERROR",
        "errors": errors,
    }
    return Rejected(_json(422, body))


def _plant_faults(body: Any) -> None:
    if isinstance(body, list) and active("top_level_array_500"):
        raise PlantedFault("top-level array")
    if not isinstance(body, dict):
        return
    limit = body.get("maxConcurrentCalls")
    if active("big_int_500") and type(limit) is int and abs(limit) > 2**53:
        raise PlantedFault("integer overflow")
    name = body.get("name")
    if active("non_bmp_500") and isinstance(name, str) and any(ord(c) > 0xFFFF for c in name):
        raise PlantedFault("non-BMP character")


def _template(body: dict[str, Any], principal: seed.Principal) -> seed.Template | None:
    template_id = body.get("templateId")
    if template_id is None:
        return None
    template = seed.templates().get(template_id)
    foreign = template is not None and template.client_id != principal.client.id
    if template is None or (foreign and not active("cross_tenant_template")):
        code = "TEMPLATE_NOT_FOUND" if active("not_found_code_wrong") else "NOT_FOUND"
        raise _error(404, code, "Template not found")
    return template


async def _validation_first(request: Request) -> None:
    try:
        body = await _parse(request)
    except Rejected:
        return
    errors = validation.validate(body)
    if errors:
        raise _validation_failed(errors)


async def _create(request: Request) -> Response:
    state = request.app.state
    if variants.active("answers_out_of_order"):
        # Every other request waits 30 ms, so requests that arrive together are answered
        # out of order, and the variant's selftest sees it without timing luck.
        await asyncio.sleep(0.03 if next(_ARRIVALS) % 2 else 0.0)
    if active("validation_before_auth"):
        await _validation_first(request)
    key = request.headers.get("x-api-key")
    principal = _authenticate(key)
    if active("rate_limit_after_body"):
        early = await _parse(request)
        if errors := validation.validate(early):
            raise _validation_failed(errors)
    if active("rate_limit_racy"):
        retry_after = await storage.racy_hit(state.limiter, key or "")
    else:
        retry_after = state.limiter.hit(key or "")
    if retry_after is not None:
        body, headers = too_many(retry_after)
        return _json(429, body, headers)
    body = await _parse(request)
    _plant_faults(body)
    if active("wrong_shape_400") and not isinstance(body, dict):
        raise _error(400, "BAD_REQUEST", "Request body must be a JSON object")
    if (
        active("template_before_validation")
        and isinstance(body, dict)
        and isinstance(body.get("templateId"), str)
    ):
        _template(body, principal)
    errors = validation.validate(body)
    if not errors and isinstance(body, dict):
        errors = storage.refused(body)
    if errors:
        raise _validation_failed(errors)
    template = _template(body, principal)
    if why := storage.fault(body):
        raise PlantedFault(why)
    created = campaign.build(body, principal, template, campaign_id=await storage.new_id())
    store: OrderedDict[str, dict[str, Any]] = state.campaigns
    store[created["id"]] = created
    while len(store) > MAX_STORED:
        store.popitem(last=False)
    if active("no_campaign_wrapper"):
        return _json(200 if active("created_returns_200") else 201, created)
    return _json(200 if active("created_returns_200") else 201, {"campaign": created})


async def create_campaign(request: Request) -> Response:
    try:
        return await _create(request)
    except Rejected as rejected:
        return rejected.response
    except PlantedFault:
        return _internal_error()
    except Exception:
        log.exception("unexpected error in POST /v2/campaigns")
        return _internal_error()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
    return _json(exc.status_code, {"message": exc.detail, "code": code}, dict(exc.headers or {}))


async def _server_error(request: Request, exc: Exception) -> Response:
    return _internal_error()


class RefApp:
    """The reference server as an ASGI app: the Starlette app and this server's state, which
    every request (and the building of the app itself) runs with as the current one."""

    def __init__(self, server_config: config.ServerConfig) -> None:
        if server_config.defect and server_config.variant:
            # A run proves "caught" or "not failed"; with both, neither would be shown.
            raise ValueError(
                f"defect {server_config.defect!r} and variant {server_config.variant!r}: choose one"
            )
        defects.check_name(server_config.defect)
        variants.check_name(server_config.variant)
        self.server_state = config.ServerState(server_config)
        with config.serving(self.server_state):
            app: Any = Starlette(
                routes=campaign_routes(create_campaign),
                exception_handlers={HTTPException: _http_error, Exception: _server_error},
            )
            if wire.any_active():
                app.add_middleware(wire.WireVariants)
            app.state.limiter = make_limiter(server_config.rate_limit, server_config.rate_window)
            app.state.campaigns = OrderedDict()
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def counted(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.server_state.count(scope["method"], int(message["status"]))
            await send(message)

        with config.serving(self.server_state):
            await self.app(scope, receive, counted)


def create_app(
    defect: str | None = None, rate_limit: int | None = None, variant: str | None = None
) -> RefApp:
    """Build the app from REFSERVER_* variables and what is given (None: the variable's value).
    A defect and a variant together are refused (ValueError)."""
    return RefApp(
        config.ServerConfig.from_env(defect=defect, variant=variant, rate_limit=rate_limit)
    )
