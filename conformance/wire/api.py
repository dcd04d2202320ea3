"""The target as the deterministic cases see it: one call per request, through the guarded session."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from conformance.checks.ratewindow import WindowProof
from conformance.checks.repeat import Allowance
from conformance.checks.semantic import RunMemory
from conformance.contract.document import target_operation
from conformance.run.findings import CampaignBudgetSpent
from conformance.run.inputs import NotRunnable
from conformance.run.settings import KEY_VARIABLES, Settings
from conformance.wire.exchange import Exchange
from conformance.wire.session import GuardedSession

UNSET: Any = object()
MAIN_KEY = "API_KEY"


@dataclass
class Api:
    session: GuardedSession
    settings: Settings
    base_url: str
    memory: RunMemory = field(default_factory=RunMemory)
    # The re-runs of failing cases this run may still spend (checks/repeat.py).
    reruns: Allowance = field(default_factory=Allowance)
    # The rate-limit proof from the main key's first window (checks/ratewindow.py).
    rate_proof: WindowProof | None = None
    # Optional inputs the target rejected at the vetting, and why (conformance.run.inputs).
    rejected: dict[str, str] = field(default_factory=dict)

    def require(self, *labels: str) -> None:
        """Raise NotRunnable when a check needs an input the target rejected at the vetting."""
        for label in labels:
            if label in self.rejected:
                raise NotRunnable(self.rejected[label])

    @property
    def url(self) -> str:
        return self.base_url + target_operation().path

    def campaigns_left(self) -> int:
        """What the campaign budget (MAX_CAMPAIGNS) has left."""
        return max(0, self.settings.max_campaigns - self.session.ledger.campaigns)

    def spend_campaign(self) -> None:
        """Before a request that may create a campaign: refused once the budget is spent."""
        if self.campaigns_left() <= 0:
            raise CampaignBudgetSpent(
                f"campaign budget MAX_CAMPAIGNS={self.settings.max_campaigns} spent: "
                "a case that would create one more is not sent"
            )

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
            self.require(key)  # a rejected key is never sent again
        if creates:
            self.spend_campaign()
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
