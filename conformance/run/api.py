"""A target as the tests see it: one call per request, through that target's guarded session,
and the verdict's view of the run (the context of an exchange, the record of rules judged). It
holds no state of its own: the budgets, the memory and the inputs are its run's."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from conformance.checks.context import CheckContext, Expectation, RunMemory
from conformance.contract.document import target_operation
from conformance.settings import KEY_VARIABLES, Settings
from conformance.wire.exchange import Exchange
from conformance.wire.session import GuardedSession

if TYPE_CHECKING:
    from conformance.run.run import Run

UNSET: Any = object()
MAIN_KEY = "API_KEY"


@dataclass(frozen=True, eq=False)
class Api:
    run: Run
    settings: Settings
    session: GuardedSession
    memory: RunMemory

    @property
    def url(self) -> str:
        return (self.settings.base_url or "") + target_operation().path

    def key(self, label: str) -> str | None:
        """The key behind a variable name, e.g. 'OTHER_API_KEY' (None when not configured)."""
        keys = zip(KEY_VARIABLES, self.settings.secrets_by_variable(), strict=True)
        return dict(keys).get(label)

    def key_for(self, how: str) -> tuple[str | None, str | None]:
        """(variable, literal key) for a table's `key`: a configured variable, or a mangled key."""
        if how in KEY_VARIABLES:
            return how, None
        main = self.settings.api_key or ""
        literal = {
            "none": None,
            "empty": "",
            "without-prefix": main.removeprefix("cc_"),
            "case-folded": main.upper() if main.upper() != main else main.lower(),
            "unknown": "cc_" + secrets.token_hex(12),
        }[how]
        return None, literal

    def post(
        self,
        body: Any = UNSET,
        *,
        key: str | None = MAIN_KEY,
        api_key: str | None = None,
        raw: bytes | None = None,
        content_type: str | None = "application/json",
        creates: bool = False,
    ) -> Exchange:
        """Send to the operation. `key` names a configured key (None: no key header);
        `api_key` sends a literal key instead; `raw` sends bytes as they are; `creates`: the
        case expects a campaign, so it draws on the campaign budget."""
        if key is not None:
            self.run.inputs.require(key)  # a key not given, or rejected, is never sent
        if creates:
            self.run.spend_campaign()
        headers = {"Accept": "application/json"}
        secret = api_key if api_key is not None else (self.key(key) if key else None)
        if secret is not None:
            headers["x-api-key"] = secret
        if content_type is not None:
            headers["Content-Type"] = content_type
        data = raw
        if body is not UNSET:
            data = json.dumps(body, ensure_ascii=False).encode()
        method = target_operation().method.upper()
        response = self.session.request(method, self.url, data=data, headers=headers)
        return self.session.exchange_of(response.request)

    # The verdict's view of the run (checks/verdict.py, `Judge`).
    def context(self, exchange: Exchange, expect: Expectation | None = None) -> CheckContext:
        if expect is not None:
            self.run.ledger.expect(exchange, expect)
        return CheckContext.of(exchange, self.memory, expect, self.settings.rate_window)

    def judged(self, exchange: Exchange, rules: Iterable[str]) -> None:
        self.run.ledger.judge(exchange, rules)
