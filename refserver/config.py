"""One server's configuration and state, as app state: the planted defect or legal variant, the
seeded keys, the rate limit, and what the server has counted. Every request runs with its
app's state as the current one (a context variable set around each call), so one process can
serve several apps, each with its own defect, and no module holds a process global."""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from . import seed


@dataclass(frozen=True)
class ServerConfig:
    defect: str = ""
    variant: str = ""
    keys: seed.Settings = field(default_factory=seed.Settings.defaults)
    rate_limit: int = 0
    rate_window: float = 60.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **given: object) -> ServerConfig:
        """REFSERVER_* variables, then what the caller gives (None: not given)."""
        env = os.environ if env is None else env
        read = {
            "defect": env.get("REFSERVER_DEFECT", ""),
            "variant": env.get("REFSERVER_VARIANT", ""),
            "keys": seed.Settings.from_env(env),
            "rate_limit": int(env.get("REFSERVER_RATE_LIMIT", "0") or 0),
            "rate_window": float(env.get("REFSERVER_RATE_WINDOW", "") or 60.0),
        }
        read.update({k: v for k, v in given.items() if v is not None})
        return cls(**read)  # type: ignore[arg-type]


@dataclass
class ServerState:
    """What one app has counted over its life: the intermittent defect's 201s, and every
    request and success it answered, by method (what a bench measures at the target)."""

    config: ServerConfig
    created: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    id_counter: int = 0  # the ids of the counter defect (read and written without a lock)
    answered: Counter[str] = field(default_factory=Counter)
    succeeded: Counter[str] = field(default_factory=Counter)

    def count(self, method: str, status: int) -> None:
        self.answered[method] += 1  # a Counter's += is one bytecode step under the GIL
        if 200 <= status < 300:
            self.succeeded[method] += 1


_CURRENT: ContextVar[ServerState | None] = ContextVar("refserver_state", default=None)
_DEFAULT = ServerConfig()


def current() -> ServerConfig:
    """The configuration of the app serving this request (the default server outside one)."""
    state = _CURRENT.get()
    return state.config if state is not None else _DEFAULT


def state() -> ServerState:
    found = _CURRENT.get()
    if found is None:
        raise LookupError("no app is serving a request here")
    return found


@contextmanager
def serving(app_state: ServerState) -> Iterator[None]:
    """Run the block as a request of the app whose state this is."""
    token = _CURRENT.set(app_state)
    try:
        yield
    finally:
        _CURRENT.reset(token)
