"""The OpenAPI document, loaded once: request schema, response schemas and validators."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conformance.contract import yamlfile
from conformance.settings import DOCUMENT

DOC_URI = "urn:carecycle:campaigns"


@cache
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yamlfile.load(DOCUMENT)
    return loaded


@dataclass(frozen=True)
class Operation:
    """One operation of the document: the suite tests the one the document holds. What the
    engine needs of it travels as this one object: method, path, the success status, and the
    property of a success body that holds the created resource."""

    method: str
    path: str
    success: int = 201
    resource: str = "campaign"

    def created(self, status: int, body: Any) -> dict[str, Any] | None:
        """The resource a success response created, or None."""
        return self.wrapped(body) if status == self.success else None

    def wrapped(self, body: Any) -> dict[str, Any] | None:
        """The resource a body holds under its wrapper property, whatever the status."""
        made = body.get(self.resource) if isinstance(body, dict) else None
        return made if isinstance(made, dict) else None

    @staticmethod
    def may_have_created(status: int) -> bool:
        """Any 2xx to the operation may have made a resource (a defective server's 200 too):
        what the campaign budget and created.json count."""
        return 200 <= status < 300

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@cache
def target_operation() -> Operation:
    """The document's operation. The document holds one; a second would need its own cases."""
    found = [
        (method, path, spec)
        for path, item in document()["paths"].items()
        for method, spec in item.items()
        if method in METHODS
    ]
    if len(found) != 1:
        raise ValueError(f"the document must hold exactly one operation, found {len(found)}")
    method, path, spec = found[0]
    (success,) = [int(c) for c in spec["responses"] if c.isdigit() and 200 <= int(c) < 300]
    body = resolve(spec["responses"][str(success)]["content"]["application/json"]["schema"])
    # The created resource: the success body's one required object property.
    (resource,) = body.get("required", [])
    return Operation(method, path, success, resource)


def operation() -> dict[str, Any]:
    op = target_operation()
    spec: dict[str, Any] = document()["paths"][op.path][op.method]
    return spec


def resolve(node: Any) -> Any:
    """Follow local `$ref`s (recursively), so callers walk plain schemas."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = document()
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            merged = {**resolve(target), **{k: v for k, v in node.items() if k != "$ref"}}
            return merged
        return {k: resolve(v) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v) for v in node]
    return node


def schema_at(name: str) -> dict[str, Any]:
    """A named schema of `components/schemas`, as written (resolve it to walk it)."""
    schema: dict[str, Any] = document()["components"]["schemas"][name]
    return schema


def request_schema() -> dict[str, Any]:
    schema: dict[str, Any] = resolve(
        operation()["requestBody"]["content"]["application/json"]["schema"]
    )
    return schema


def documented_statuses() -> set[int]:
    return {int(code) for code in operation()["responses"] if code.isdigit()}


def _response_pointer(status: int) -> str:
    response = operation()["responses"][str(status)]
    if "$ref" in response:
        response = resolve(response)
    schema = response["content"]["application/json"]["schema"]
    return str(schema.get("$ref", ""))


@cache
def _registry() -> Registry[Any]:
    # An attrs class: its keywords are real, but the stubs mypy reads for it do not name them.
    resource: Resource[Any] = Resource(contents=document(), specification=DRAFT202012)  # type: ignore[call-arg]
    registry: Registry[Any] = Registry().with_resource(DOC_URI, resource)
    return registry


def format_checker() -> FormatChecker:
    """The formats the suite enforces in response bodies: jsonschema's own checkers.

    jsonschema registers `date-time` only when rfc3339-validator is importable, and without it
    accepts any string; so that package is a runtime dependency, and a selftest
    (tests/selftest/test_plain_install.py) holds that a plain install rejects a bad one.
    """
    return FormatChecker()


@cache
def response_validator(status: int) -> Draft202012Validator:
    """A 2020-12 validator (formats checked) for the body the document declares for `status`."""
    pointer = _response_pointer(status)
    if pointer:
        schema: dict[str, Any] = {"$ref": DOC_URI + pointer}
    else:
        op = target_operation()
        path = f"/paths/{op.path.replace('/', '~1')}/{op.method}/responses/{status}"
        schema = {"$ref": f"{DOC_URI}#{path}/content/application~1json/schema"}
    return Draft202012Validator(schema, registry=_registry(), format_checker=format_checker())


@cache
def request_validator() -> Draft202012Validator:
    """A 2020-12 validator (formats checked) for the request body the document declares."""
    op = target_operation()
    path = f"/paths/{op.path.replace('/', '~1')}/{op.method}/requestBody"
    schema = {"$ref": f"{DOC_URI}#{path}/content/application~1json/schema"}
    return Draft202012Validator(schema, registry=_registry(), format_checker=format_checker())


def schema_errors(status: int, body: Any, limit: int = 5) -> list[str]:
    """Human-readable schema violations of `body` for `status`, at most `limit`."""
    errors = sorted(response_validator(status).iter_errors(body), key=lambda e: list(e.path))
    out = []
    for error in errors[:limit]:
        where = "/".join(str(p) for p in error.absolute_path) or "<root>"
        out.append(f"{where}: {error.message[:200]}")
    return out
