"""Checks declare their rule in code: `@check("semantic.draft")` wraps a function in a `Check`
that carries its rule id, so what the engine judges is a list a machine reads (and the
collection validates against `openapi/rules.yaml`), not a docstring's first word."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Check(Generic[P, R]):
    """A check function and the rule it judges; called like the function."""

    rule: str
    func: Callable[P, R]

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.func(*args, **kwargs)

    @property
    def name(self) -> str:
        return self.func.__name__

    @property
    def where(self) -> str:
        """The check's place in the code, for an error that names it."""
        code = self.func.__code__
        return f"{code.co_filename}:{code.co_firstlineno} ({self.name})"


def check(rule: str) -> Callable[[Callable[P, R]], Check[P, R]]:
    """Register a check under its rule id."""

    def wrap(func: Callable[P, R]) -> Check[P, R]:
        return Check(rule, func)

    return wrap
