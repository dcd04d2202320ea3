"""Schemathesis on the document: the configuration of the property-based part of the run, and
its failures as typed findings, mapped to rule ids by the failure's class.

Only the document's operation is ever sent, through the guarded session: every check and phase
that sends another method or re-sends through a session of its own is off (`unsupported_method`,
the coverage phase's unexpected methods, `ignored_auth`); the suite's auth probes cover them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import (
    AcceptedNegativeData,
    Failure,
    MalformedJson,
    ResponseTimeExceeded,
    ServerError,
)
from schemathesis.openapi.checks import (
    ContentDeserializationError,
    IgnoredAuth,
    JsonSchemaError,
    MalformedMediaType,
    MissingContentType,
    MissingHeaderNotRejected,
    MissingHeaders,
    RejectedPositiveData,
    UndefinedContentType,
    UndefinedStatusCode,
)

from conformance.findings import CampaignBudgetSpent, Finding
from conformance.settings import DOCUMENT, Settings
from conformance.wire.exchange import Exchange

# Built-in checks that judge one response and send nothing of their own.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
)
# Checks that send requests of their own (another method, or a re-send outside our session).
SENDING_CHECKS = (
    "unsupported_method",
    "ignored_auth",
    "use_after_free",
    "ensure_resource_availability",
)

RULE_OF_FAILURE: Mapping[type[Failure], str] = MappingProxyType(
    {
        ServerError: "robustness.no-5xx",
        UndefinedStatusCode: "response.documented",
        UndefinedContentType: "response.documented",
        MissingContentType: "response.documented",
        MalformedMediaType: "response.documented",
        JsonSchemaError: "response.documented",
        MalformedJson: "response.documented",
        ContentDeserializationError: "response.documented",
        MissingHeaders: "response.documented",
        ResponseTimeExceeded: "response.documented",
        AcceptedNegativeData: "request.invalid-rejected",
        RejectedPositiveData: "request.valid-accepted",
        MissingHeaderNotRejected: "auth.unauthorized",
        IgnoredAuth: "auth.unauthorized",
    }
)
# The rules the property test can find broken (its declared rules, for the per-rule report).
PROPERTY_RULES = tuple(dict.fromkeys(RULE_OF_FAILURE.values()))


# The document's request examples, which the examples phase sends before any generated case:
# in positive mode each creates a campaign.
EXPLICIT_POSITIVE = 2
# A failing property test is not shrunk (each shrink step is a request, and a campaign in
# positive mode): Hypothesis stops generating at the first failure of a phase and replays it
# once to report it. What a finding may add is that one replay per phase.
REPLAYS_PER_PHASE = 1


def property_phases(settings: Settings) -> int:
    """The Schemathesis phases that generate cases: examples and fuzzing, coverage at the nightly."""
    return 3 if settings.depth == "nightly" else 2


def positive_share(settings: Settings) -> int:
    """Positive examples before the campaign budget: the gate keeps an eighth (each creates)."""
    return settings.examples if settings.depth == "nightly" else max(1, settings.examples // 8)


def positive_examples(settings: Settings, campaigns_left: int) -> int:
    """Positive examples scaled to what the campaign budget has left, the document's examples
    first; none left: the positive property test is not tested (never passed)."""
    if campaigns_left <= 0:
        raise CampaignBudgetSpent(
            f"campaign budget MAX_CAMPAIGNS={settings.max_campaigns} spent before the positive "
            "property cases"
        )
    return max(1, min(positive_share(settings), campaigns_left - EXPLICIT_POSITIVE))


def rule_of(failure: Failure) -> str:
    for kind, rule in RULE_OF_FAILURE.items():
        if isinstance(failure, kind):
            return rule
    # A failure class this table does not know yet is still a finding, under the broadest rule.
    return "response.documented"


def as_finding(failure: Failure, exchange: Exchange | None) -> Finding:
    what = failure.title + (f": {failure.message.strip()}" if failure.message else "")
    return Finding(
        rule_of(failure),
        (what[:600],),
        exchange,
        failure=type(failure).__name__,
        signature=failure._unique_key,
    )


def load_schema(settings: Settings, *, mode: str, examples: int, coverage: bool) -> Any:
    """The document as Schemathesis sees it, aimed at the target, seeded (the cases depend
    on the contract and the seed only: conformance/checks/seeding.py, set when pytest starts)."""
    config = SchemathesisConfig.from_dict(
        {
            "seed": settings.seed,
            "base-url": settings.base_url,
            "headers": {"x-api-key": settings.api_key},
            "generation": {
                "mode": mode,
                "max-examples": examples,
                "deterministic": settings.derandomize,
                "database": "none",  # nothing from a run, keys included, is kept on disk
                "no-shrink": True,  # a finding costs one replay, not a shrinking search
            },
            "phases": {
                "stateful": {"enabled": False},
                "coverage": {"enabled": coverage, "unexpected-methods": []},
            },
            "checks": {name: {"enabled": True} for name in CHECKS}
            | {name: {"enabled": False} for name in SENDING_CHECKS}
            | {
                # A 201 answers a valid body; the contract also allows 404 (unknown template).
                "positive_data_acceptance": {"enabled": True, "expected-statuses": [201, 404]},
                # Invalid bodies are 400/422; a mangled key is rightly a 401 or 403 first.
                "negative_data_rejection": {
                    "enabled": True,
                    "expected-statuses": [400, 401, 403, 422],
                },
            },
        }
    )
    return schemathesis.openapi.from_path(DOCUMENT, config=config)


@cache
def _coverage(seed: int, derandomize: bool) -> tuple[int, int]:
    from schemathesis.generation.modes import GenerationMode

    from conformance.contract.document import request_validator

    settings = Settings(base_url="http://127.0.0.1:1", api_key="cc_plan", seed=seed)
    schema = load_schema(settings.with_target(derandomize=derandomize), mode="negative",
                         examples=1, coverage=True)  # fmt: skip
    cases = valid = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        config = schema.config.generation_for(operation=operation)
        for case in schema.iter_coverage_cases(
            operation, generation_modes=[GenerationMode.NEGATIVE], generation_config=config
        ):
            cases += 1
            valid += bool(request_validator().is_valid(case.body))
    return cases, valid


def coverage_cases(settings: Settings) -> tuple[int, int]:
    """(cases, of which the document allows) the nightly's coverage phase sends: Schemathesis's
    own iterator over the document, so the plan is what the phase will send (nothing is sent
    here). None at the gate."""
    if settings.depth != "nightly":
        return 0, 0
    return _coverage(settings.seed, settings.derandomize)
