"""What a check is given beside the exchange: what was sent (read back from the exchange), the
run's memory of earlier answers, what the case expected, and the target's limits. A check is
`(context, exchange) -> problems`, whatever its rule: the same call judges a live exchange and
one read from recorded traffic."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from conformance.contract.document import target_operation
from conformance.wire.exchange import Exchange, parse_json
from conformance.wire.semantics import header

# The role of a key the run did not configure (a made-up or mangled one): unauthenticated.
UNKNOWN_KEY = "unknown"


class NotJson:
    """What a body that is not JSON was (the sentinel of `Sent.body`)."""

    def __repr__(self) -> str:
        return "<not JSON>"


NOT_JSON: Any = NotJson()


@dataclass(frozen=True)
class Sent:
    """The request as a check reads it: its parsed body (`NOT_JSON` when it is not JSON), the
    role of its key (the variable that holds it; `UNKNOWN_KEY`; None for no key), its content
    type, and when it was sent (the client's clock)."""

    body: Any
    key: str | None
    content_type: str | None
    at: datetime

    @classmethod
    def of(cls, exchange: Exchange) -> Sent:
        value, why = parse_json(exchange.request_body or b"")
        has_key = header(exchange.request_headers, "x-api-key") is not None
        return cls(
            body=NOT_JSON if why else value,
            key=exchange.key_var or (UNKNOWN_KEY if has_key else None),
            content_type=header(exchange.request_headers, "content-type"),
            at=datetime.fromtimestamp(exchange.sent_at, UTC) if exchange.sent_at else now(),
        )

    @property
    def fields(self) -> dict[str, Any]:
        """The body's members when it is an object (else none)."""
        return self.body if isinstance(self.body, dict) else {}


@dataclass
class RunMemory:
    """What earlier answers of this target said, for the rules that span several calls."""

    # Every id returned so far, with when its request was on the wire (sent, answered).
    seen_ids: dict[str, tuple[float, float]] = field(default_factory=dict)
    client_ids: dict[str, set[str]] = field(default_factory=dict)
    # A campaign (and its exchange) created with each key variable, for the client-identity
    # check: the context rows' campaigns are judged again, not sent again.
    created_by_key: dict[str, tuple[dict[str, Any], Exchange]] = field(default_factory=dict)


@dataclass(frozen=True)
class Expectation:
    """What the case expected: the statuses its rule allows, that rule, a hint for a finding,
    and the one field a 422 must name (a body with a single broken field)."""

    statuses: frozenset[int]
    rule: str
    hint: str = ""
    broken_field: str | None = None

    @classmethod
    def of(
        cls, statuses: int | set[int], rule: str, hint: str = "", broken: str | None = None
    ) -> Expectation:
        wanted = {statuses} if isinstance(statuses, int) else statuses
        return cls(frozenset(wanted), rule, hint, broken)

    def record(self) -> dict[str, Any]:
        """The expectation as exchanges.har keeps it (`_expect`), for judging the file later."""
        return {
            "statuses": sorted(self.statuses),
            "rule": self.rule,
            "broken_field": self.broken_field,
        }

    @classmethod
    def from_record(cls, raw: Any) -> Expectation | None:
        """An `_expect` read back; None for what is not one (an outside HAR has none)."""
        if not isinstance(raw, dict) or not isinstance(raw.get("rule"), str):
            return None
        statuses = frozenset(s for s in raw.get("statuses", []) if isinstance(s, int))
        field = raw.get("broken_field")
        return cls(statuses, raw["rule"], "", field if isinstance(field, str) else None)


@dataclass(frozen=True)
class CheckContext:
    sent: Sent
    memory: RunMemory
    expect: Expectation | None = None
    # The target's rate-limit window in seconds (what a 429's retryAfter may not exceed).
    rate_window: float = 60.0

    @classmethod
    def of(
        cls,
        exchange: Exchange,
        memory: RunMemory,
        expect: Expectation | None = None,
        rate_window: float = 60.0,
    ) -> CheckContext:
        return cls(Sent.of(exchange), memory, expect, rate_window)


def created(exchange: Exchange) -> dict[str, Any] | None:
    """The campaign a 201 holds, or None."""
    return target_operation().created(exchange.status, exchange.json())


def now() -> datetime:
    return datetime.now(UTC)
