"""Optional inputs the target rejected at the vetting (FORBIDDEN_API_KEY answered 401,
OTHER_API_KEY refused, TEMPLATE_ID not found). Such an input does not stop the run: the checks
that need it are reported as not runnable (an "off" outcome with the reason, naming the variable
and both readings: a wrong variable, or a target that breaks the rule), the rest goes on, and
the run exits 1 if anything else broke, else 8 (a setup problem to fix)."""

from __future__ import annotations


class NotRunnable(Exception):
    """A check needs an optional input the target rejected; the message says why."""


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
