"""The OpenAPI document, loaded once: request schema, response schemas and validators."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from conformance.contract import yamlfile
from conformance.settings import DOCUMENT


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


# Keywords beside a `$ref` that only annotate: merged into what it names. Any other keyword
# applies as well as the target (JSON Schema 2020-12 §8.2.3.1), so it stays, the target in allOf.
_ANNOTATIONS = frozenset(
    {"description", "default", "examples", "title", "deprecated", "readOnly", "writeOnly"}
)


def resolve(node: Any) -> Any:
    """Follow local `$ref`s (recursively), so callers walk plain schemas, and validators need
    no registry (a `$ref` looked up on every instance is a third of the validation's time)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = document()
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            beside = {k: resolve(v) for k, v in node.items() if k != "$ref"}
            if set(beside) <= _ANNOTATIONS:
                return {**resolve(target), **beside}
            return {**beside, "allOf": [resolve(target)]}
        return {k: resolve(v) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v) for v in node]
    return node


@cache
def resolved(name: str) -> dict[str, Any]:
    """A named schema of `components/schemas`, its `$ref`s followed (shared: never change it)."""
    schema: dict[str, Any] = resolve(schema_at(name))
    return schema


def schema_at(name: str) -> dict[str, Any]:
    """A named schema of `components/schemas`, as written (resolve it to walk it)."""
    schema: dict[str, Any] = document()["components"]["schemas"][name]
    return schema


@cache
def request_schema() -> dict[str, Any]:
    """The request body's schema, resolved (shared: never change it)."""
    schema: dict[str, Any] = resolve(
        operation()["requestBody"]["content"]["application/json"]["schema"]
    )
    return schema


def documented_statuses() -> set[int]:
    return {int(code) for code in operation()["responses"] if code.isdigit()}


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
    response = resolve(operation()["responses"][str(status)])
    schema = response["content"]["application/json"]["schema"]
    return Draft202012Validator(schema, format_checker=format_checker())


@cache
def request_validator() -> Draft202012Validator:
    """A 2020-12 validator (formats checked) for the request body the document declares."""
    return Draft202012Validator(request_schema(), format_checker=format_checker())


def schema_errors(status: int, body: Any, limit: int = 5) -> list[str]:
    """Human-readable schema violations of `body` for `status`, at most `limit`."""
    errors = sorted(response_validator(status).iter_errors(body), key=lambda e: list(e.path))
    out = []
    for error in errors[:limit]:
        where = "/".join(str(p) for p in error.absolute_path) or "<root>"
        out.append(f"{where}: {error.message[:200]}")
    return out
