"""Same seed, same cases, wherever the suite runs.

Hypothesis (6.1xx, `hypothesis.internal.conjecture.providers`) draws some values from the
literal constants of every "local" module loaded in the process: for us, the suite's own
source. The generated cases would then change with an edit to one of our strings, with a plain
(non-editable) install that makes the engine site-packages, and with the modules a process
already holds, so a mutation run in a worker and a user's run would not send the same bodies. The
contract already hands Hypothesis its own values (enums, examples, bounds); our source is not
part of it, so nothing local counts as a source of constants.
"""

from __future__ import annotations

from hypothesis.internal.conjecture import providers


def _nothing_is_local(path: str) -> bool:
    return False


def from_contract_and_seed_only() -> None:
    """Make no loaded module a source of Hypothesis's constants. Idempotent; must come before
    Hypothesis first gathers them (its pytest plugin does so when collection ends)."""
    # Replacing the name providers looks up at call time; its lru_cache type is not ours.
    providers.is_local_module_file = _nothing_is_local  # type: ignore[attr-defined,assignment]
