"""The optional inputs, in one place: what each turns on, whether it was given, and whether the
target rejected it at the vetting. A check asks for its inputs with `Inputs.require`; one not
given makes the check "off" (naming the variable that turns it on), one the target rejected
makes it not runnable (naming the variable and both readings: a wrong variable, or a target that
breaks the rule). The rest of the run goes on either way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from conformance.settings import Settings


class InputMissing(Exception):
    """A check needs an optional input that was not given: it is off; the message says which."""


class NotRunnable(Exception):
    """A check needs an optional input the target rejected; the message says why."""


@dataclass(frozen=True)
class Input:
    variable: str
    turns_on: str  # the checks it turns on, as the start block names them
    what: str  # what the variable must hold


OPTIONAL: Mapping[str, Input] = MappingProxyType(
    {
        i.variable: i
        for i in (
            Input("FORBIDDEN_API_KEY", "403 check", "a known key without create permission"),
            Input("OTHER_API_KEY", "client/tenant/per-key checks", "a key of another client"),
            Input("TEMPLATE_ID", "template checks", "a template of API_KEY's client"),
            Input("RATE_LIMIT", "rate-limit check", "requests per minute the target enforces"),
        )
    }
)


def forbidden_401() -> str:
    return (
        "not runnable: FORBIDDEN_API_KEY was answered 401 at the vetting: either the variable is "
        "wrong (not a key the target knows), or the target answers 401 where the contract says 403"
    )


def other_rejected(status: int) -> str:
    return (
        f"not runnable: OTHER_API_KEY was answered {status} at the vetting: either the variable "
        "is wrong (it must be a key of another client that may create campaigns), or the target "
        "rejects a valid key of another client"
    )


def template_404() -> str:
    return (
        "not runnable: TEMPLATE_ID was answered 404 at the vetting: either the variable is wrong "
        "(it must name a template of API_KEY's client), or the target does not find a template "
        "that exists"
    )


@dataclass
class Inputs:
    settings: Settings
    # Inputs the target rejected at the vetting, and why.
    rejected: dict[str, str] = field(default_factory=dict)

    def given(self, variable: str) -> bool:
        s = self.settings
        value = {
            "FORBIDDEN_API_KEY": s.forbidden_api_key,
            "OTHER_API_KEY": s.other_api_key,
            "TEMPLATE_ID": s.template_id,
            "RATE_LIMIT": s.rate_limit or s.sibling_rate_limit,
        }.get(variable, True)
        return bool(value)

    def require(self, *variables: str) -> None:
        """Raise InputMissing (off) or NotRunnable for the first input a check cannot use."""
        missing = [v for v in variables if v in OPTIONAL and not self.given(v)]
        if missing:
            needs = " and ".join(f"{v} ({OPTIONAL[v].what})" for v in missing)
            raise InputMissing(f"{OPTIONAL[missing[0]].turns_on} needs {needs}")
        for variable in variables:
            if variable in self.rejected:
                raise NotRunnable(self.rejected[variable])

    def usable(self, variable: str) -> bool:
        return self.given(variable) and variable not in self.rejected

    def lines(self) -> list[str]:
        """Which optional checks are on, and for the others the variable that would turn them
        on; those whose input the target rejected at the vetting are not runnable."""
        return [
            f"{i.turns_on} not runnable ({i.variable} rejected by the target)"
            if i.variable in self.rejected
            else f"{i.turns_on} {'on' if self.given(i.variable) else f'off ({i.variable} not set)'}"
            for i in OPTIONAL.values()
        ]

    def off(self) -> list[str]:
        """The variables not given, whose checks are off."""
        return [v for v in OPTIONAL if not self.given(v)]
