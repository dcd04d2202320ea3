"""Covering arrays: few rows in which every combination of `strength` factors' levels appears.

A greedy construction in the manner of AETG, deterministic (no randomness: two runs send the
same rows): while a t-tuple of (factor, level) pairs is uncovered, start a row from the first
uncovered tuple and fill every other factor with the level that covers the most uncovered
tuples (the first such level on a tie). Seed rows (contexts a check must see, or a request
made elsewhere) are placed first and count towards the coverage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import combinations, product
from typing import Any

Row = dict[str, Any]
Pair = tuple[str, Any]
Allowed = Callable[[Row], bool]  # judged on partial rows too: a factor not yet set is absent


def _any(row: Row) -> bool:
    return True


def _tuples(row: Mapping[str, Any], names: Sequence[str], t: int) -> set[tuple[Pair, ...]]:
    return {tuple((n, row[n]) for n in group) for group in combinations(names, t)}


def covering_array(
    factors: Mapping[str, Sequence[Any]],
    strength: int = 2,
    seeds: Sequence[Row] = (),
    allowed: Allowed = _any,
) -> list[Row]:
    """Rows (factor -> level) covering every `strength`-wise combination of levels that
    `allowed` admits (a combination the contract rules out is neither sent nor missed)."""
    names = list(factors)
    t = min(strength, len(names))
    uncovered = set(_all_tuples(factors, t, allowed))
    order = sorted(uncovered, key=repr)  # deterministic choice of the next tuple to cover
    rows: list[Row] = []
    for seed in seeds:
        seeded: Row = {n: seed[n] for n in names}
        rows.append(seeded)
        uncovered -= _tuples(seeded, names, t)
    while uncovered:
        start = next(tp for tp in order if tp in uncovered)
        row: Row = dict(start)
        for name in names:
            if name in row:
                continue

            def gain(
                level: Any,
                name: str = name,
                row: Row = row,
                uncovered: set[tuple[Any, ...]] = uncovered,
            ) -> int:
                trial = {**row, name: level}
                if not allowed(trial):
                    return -1
                fixed = [n for n in names if n in trial]
                return len(_tuples(trial, fixed, t) & uncovered) if len(fixed) >= t else 0

            row[name] = max(factors[name], key=gain)
        row = {n: row[n] for n in names}
        rows.append(row)
        uncovered -= _tuples(row, names, t)
    return rows


def _all_tuples(
    factors: Mapping[str, Sequence[Any]], t: int, allowed: Allowed
) -> list[tuple[Pair, ...]]:
    names = list(factors)
    every = (
        tuple(zip(group, levels, strict=True))
        for group in combinations(names, t)
        for levels in product(*(factors[n] for n in group))
    )
    return [tp for tp in every if allowed(dict(tp))]


def uncovered_tuples(
    rows: Sequence[Row],
    factors: Mapping[str, Sequence[Any]],
    strength: int,
    allowed: Allowed = _any,
) -> list[tuple[Pair, ...]]:
    """What the rows miss (empty for a covering array): the selftests' proof."""
    names = list(factors)
    t = min(strength, len(names))
    seen = set().union(*(_tuples(r, names, t) for r in rows)) if rows else set()
    return [tp for tp in _all_tuples(factors, t, allowed) if tp not in seen]
