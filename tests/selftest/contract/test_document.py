"""Self-tests of the hand-written contract document, openapi/campaigns.yaml."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parents[3]
DOC_URI = "urn:campaigns"
DOC: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "campaigns.yaml").read_text("utf-8"))
SEED: dict[str, Any] = json.loads((ROOT / "tests/data/seed_campaign_example.json").read_text())
REGISTRY: Registry = Registry().with_resource(
    DOC_URI, Resource.from_contents(DOC, default_specification=DRAFT202012)
)
OPERATION = "/paths/~1v2~1campaigns/post"
RESPONSE_201 = f"{OPERATION}/responses/201/content/application~1json/schema"


class _Delete:
    """Marker: remove the property instead of setting it (a stable name in the test ids, which
    every xdist worker must collect alike)."""

    def __repr__(self) -> str:
        return "DELETE"


DELETE = _Delete()
Path_ = tuple[str | int, ...]


def validator(pointer: str) -> Draft202012Validator:
    """A validator for the schema at `pointer` inside the document, $refs resolved."""
    return Draft202012Validator(
        {"$ref": f"{DOC_URI}#{pointer}"}, registry=REGISTRY, format_checker=FormatChecker()
    )


def iter_examples(node: Any, pointer: str = "", parent: str = "") -> Iterator[tuple[str, str, Any]]:
    """Yield (example location, schema pointer, value) for every example in the document:
    `example`/`examples` of media types and headers, and of schemas (a list in 3.1)."""
    if isinstance(node, list):
        for index, child in enumerate(node):
            yield from iter_examples(child, f"{pointer}/{index}")
    if not isinstance(node, dict):
        return
    keywords = parent != "properties"  # under `properties` the keys are property names
    target = f"{pointer}/schema" if isinstance(node.get("schema"), dict) else pointer
    if keywords and "example" in node:
        yield f"{pointer}/example", target, node["example"]
    examples = node.get("examples") if keywords else None
    if isinstance(examples, dict):  # a map of Example objects
        for name, example in examples.items():
            yield f"{pointer}/examples/{name}", target, example["value"]
    elif isinstance(examples, list):  # a schema's examples
        for index, example in enumerate(examples):
            yield f"{pointer}/examples/{index}", target, example
    for key, child in node.items():
        if not (keywords and key in ("example", "examples")):
            key_token = key.replace("~", "~0").replace("/", "~1")
            yield from iter_examples(child, f"{pointer}/{key_token}", key)


def mutate(instance: dict[str, Any], path: Path_, value: Any) -> dict[str, Any]:
    """A deep copy of `instance` with the value at `path` replaced (or deleted)."""
    result = copy.deepcopy(instance)
    target: Any = result
    for token in path[:-1]:
        target = target[token]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return result


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow local $refs and pick the non-null branch of a nullable anyOf."""
    while True:
        if "$ref" in schema:
            target: Any = DOC
            for token in schema["$ref"].removeprefix("#/").split("/"):
                target = target[token.replace("~1", "/").replace("~0", "~")]
            schema = target
        elif "anyOf" in schema:
            schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
        else:
            return schema


def undeclared(schema: dict[str, Any], instance: Any, path: Path_ = ()) -> Iterator[Path_]:
    """Paths of properties of `instance` that `schema` does not declare."""
    schema = resolve(schema)
    if isinstance(instance, dict) and "properties" in schema:  # not a free-form map
        declared = schema["properties"]
        for key, value in instance.items():
            if key not in declared:
                yield (*path, key)
            else:
                yield from undeclared(declared[key], value, (*path, key))
    elif isinstance(instance, list) and schema.get("items"):
        for index, item in enumerate(instance):
            yield from undeclared(schema["items"], item, (*path, index))


def object_keys(instance: Any, path: Path_ = ()) -> Iterator[Path_]:
    """Path of every property of every object in `instance`."""
    if isinstance(instance, dict):
        for key, value in instance.items():
            yield (*path, key)
            yield from object_keys(value, (*path, key))
    elif isinstance(instance, list):
        for index, item in enumerate(instance):
            yield from object_keys(item, (*path, index))


EXAMPLES = list(iter_examples(DOC))
BOOKING = ("campaign", "appointmentConfig", "bookingHours", 0)
ROUTING = ("campaign", "transferConfig", "routingConfig")
MEMBER = (*ROUTING, "agents", 0, "member")
C = ("campaign",)


def test_document_is_valid_openapi_31() -> None:
    assert DOC["openapi"].startswith("3.1.")
    validate(DOC)


def test_contract_skeleton() -> None:
    operation = DOC["paths"]["/v2/campaigns"]["post"]
    assert operation["operationId"] == "createCampaign"
    assert set(operation["responses"]) == {"201", "400", "401", "403", "404", "422", "429", "500"}
    assert [s["url"] for s in DOC["servers"]] == ["http://127.0.0.1:8000"]
    scheme = DOC["components"]["securitySchemes"]["ApiKeyAuth"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "x-api-key")
    assert all(list(r["content"]) == ["application/json"] for r in operation["responses"].values())
    # the walker finds an example for the request and for every response
    located = {location.split("/content/")[0].rsplit("/", 1)[-1] for location, _, _ in EXAMPLES}
    assert located == {"requestBody", *operation["responses"]}


@pytest.mark.parametrize(("location", "pointer", "value"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_validates_against_its_schema(location: str, pointer: str, value: Any) -> None:
    errors = [e.message for e in validator(pointer).iter_errors(value)]
    assert not errors, f"{location}: {errors}"


def test_seed_example_is_the_201_example_and_every_property_is_declared() -> None:
    validator(RESPONSE_201).validate(SEED)
    media = DOC["paths"]["/v2/campaigns"]["post"]["responses"]["201"]["content"]["application/json"]
    assert media["examples"]["seed"]["value"] == SEED
    assert list(undeclared({"$ref": f"#{RESPONSE_201}"}, SEED)) == []


# Every property of every object of the seed is required (map entries of headers/body aside).
SEED_PROPERTIES = [p for p in object_keys(SEED) if p[-2:-1] not in (("headers",), ("body",))]


@pytest.mark.parametrize("path", SEED_PROPERTIES, ids=lambda p: ".".join(map(str, p)))
def test_every_seed_property_is_required(path: Path_) -> None:
    assert not validator(RESPONSE_201).is_valid(mutate(SEED, path, DELETE))


BROKEN: list[tuple[Path_, Any]] = [
    ((*BOOKING, "startHour"), 25),
    ((*BOOKING, "endHour"), 25),
    ((*BOOKING, "startMinute"), 60),
    ((*BOOKING, "endMinute"), -1),
    ((*BOOKING, "dayOfWeek"), [7]),
    ((*C, "status"), "unknown"),
    ((*C, "features"), DELETE),
    ((*C, "client", "id"), DELETE),
    ((*C, "tags"), DELETE),
    ((*C, "maxConcurrentCalls"), 0),
    ((*C, "maxConcurrentCalls"), 9007199254740992),
    ((*C, "maxAttempts"), -9007199254740992),
    ((*ROUTING, "maxRingPerAgent"), 2147483648),
    ((*ROUTING, "agents", 0, "priority"), -2147483649),
    ((*C, "direction"), "sideways"),
    ((*C, "kind"), "x"),
    ((*C, "primaryHandlerKind"), "robot"),
    ((*C, "id"), "not-a-uuid"),
    ((*C, "createdAt"), "yesterday"),
    ((*C, "startDate"), "2019-08-24"),
    ((*MEMBER, "user", "email"), "nope"),
    ((*C, "name"), None),
    ((*C, "status"), None),
    ((*C, "customerStats", "total"), 1.5),
    ((*C, "features", "transfers"), "yes"),
]


LOOSER: list[tuple[Path_, Any]] = [
    ((*ROUTING, "routingType"), "weighted"),
    ((*C, "suite"), None),
    ((*C, "templateName"), None),
    ((*C, "unknownExtra"), {"any": 1}),
    ((*ROUTING, "unknownExtra"), True),
    ((*C, "transferConfig"), None),
    ((*C, "appointmentConfig"), None),
    ((*C, "maxConcurrentCalls"), None),
    ((*C, "status"), "archived"),
    ((*C, "tags"), ["vip", 3]),
    ((*C, "customerStats", "todayConnectRate"), 0.5),
    ((*C, "maxConcurrentCalls"), 1.0),
]


MUTATIONS = [(*m, False) for m in BROKEN] + [(*m, True) for m in LOOSER]


@pytest.mark.parametrize(("path", "value", "valid"), MUTATIONS, ids=str)
def test_mutated_seed(path: Path_, value: Any, valid: bool) -> None:
    """BROKEN copies must not validate; LOOSER ones must (they guard against false alarms)."""
    errors = [e.message for e in validator(RESPONSE_201).iter_errors(mutate(SEED, path, value))]
    assert (not errors) == valid, errors or "validated, but should not"


UUID = "8c4efc65-99e2-4034-9e3a-f89e12da578b"
VALID_REQUESTS: list[dict[str, Any]] = [
    {"name": "x"},
    {"name": "a" * 255},
    {"name": "\U0001f600" * 255},  # code points, not UTF-16 units
    {"name": "x", "maxConcurrentCalls": 1.0},
    {"name": "x", "maxConcurrentCalls": 9007199254740991},
    {"name": "x", "maxConcurrentCalls": None},
    {"name": "x", "primaryRoutingConfigId": "00000000-0000-0000-0000-000000000000"},
    {"name": "x", "afterHoursRoutingConfigId": "ffffffff-ffff-ffff-ffff-ffffffffffff"},
    {"name": "x", "primaryRoutingConfigId": UUID.upper()},
    {"name": "x", "description": None, "templateId": "not-a-uuid-is-fine"},
    {"name": "x", "unknownProperty": [1, 2]},
    {"name": "x", "direction": "outbound", "kind": "agent_first", "primaryHandlerKind": None},
]
INVALID_REQUESTS: list[Any] = [
    {},
    [],
    {"name": ""},
    {"name": None},
    {"name": 5},
    {"name": "a" * 256},
    {"name": "\U0001f600" * 256},
    {"name": "x", "maxConcurrentCalls": 1.5},
    {"name": "x", "maxConcurrentCalls": "5"},
    {"name": "x", "maxConcurrentCalls": True},
    {"name": "x", "maxConcurrentCalls": 0},
    {"name": "x", "maxConcurrentCalls": 9007199254740992},
    {"name": "x", "primaryRoutingConfigId": UUID.replace("-4034-", "-9034-")},  # version 9
    {"name": "x", "primaryRoutingConfigId": UUID.replace("-4034-", "-0034-")},  # version 0
    {"name": "x", "afterHoursRoutingConfigId": UUID.replace("-9e3a-", "-ce3a-")},  # variant c
    {"name": "x", "kind": None},
    {"name": "x", "kind": "x"},
    {"name": "x", "direction": None},
    {"name": "x", "primaryTerminalType": "sms"},
    {"name": "x", "afterHoursHandlerKind": "robot"},
]


REQUESTS = [(b, True) for b in VALID_REQUESTS] + [(b, False) for b in INVALID_REQUESTS]


@pytest.mark.parametrize(("body", "valid"), REQUESTS, ids=lambda v: str(v)[:60])
def test_request_body(body: Any, valid: bool) -> None:
    assert validator("/components/schemas/CreateCampaignRequest").is_valid(body) == valid
