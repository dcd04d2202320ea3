"""The one object that reads the target's configuration (environment / make variables)."""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "openapi" / "campaigns.yaml"
RULES_FILE = ROOT / "openapi" / "rules.yaml"
# The vendor's production API: allowed when named explicitly, never a default.
PRODUCTION_HOST = "api.carecycle.ai"


def new_run_id(env: Mapping[str, str]) -> str:
    """The run's id: RUN_ID when given, else the time and a random suffix. Made once per run
    (by the run context), so collection, which builds named cases, and the run agree on it."""
    given = env.get("RUN_ID", "").strip()
    return given or time.strftime("%Y%m%dT%H%M%S") + secrets.token_hex(2)


def name_prefix(run_id: str) -> str:
    """Every campaign the suite creates starts with this, so an operator can find them."""
    return f"cct-{run_id}-"


def collected_depth() -> str:
    """The depth as collection sees it (the parametrised cases depend on it): `DEPTH`, read
    before the settings object exists; an invalid value is reported by `Settings.from_env`."""
    return os.environ.get("DEPTH", "").strip().lower() or "gate"


def mark_name(name: str, prefix: str, max_length: int) -> str:
    """The run's prefix on a generated name, without moving it across a length bound: a long
    name has its head replaced (same length), a short one is prefixed while it stays in bounds,
    an empty one is left alone (it is on the edge under test)."""
    if len(name) >= len(prefix):
        return prefix + name[len(prefix) :]
    if name and len(prefix) + len(name) <= max_length:
        return prefix + name
    return name


# Per depth: examples per generation mode (negative; positive cases get an eighth, since each
# creates a campaign, and no more than the campaign budget leaves), the default request budget,
# and the default campaign budget (the vendor has no delete: every campaign stays in the account).
DEPTHS: Mapping[str, Mapping[str, int | None]] = MappingProxyType(
    {
        "gate": MappingProxyType({"examples": 25, "max_requests": None, "max_campaigns": 30}),
        "nightly": MappingProxyType({"examples": 200, "max_requests": 1000, "max_campaigns": 50}),
    }
)


# The variables that hold keys: never printed, in any form.
KEY_VARIABLES = ("API_KEY", "FORBIDDEN_API_KEY", "OTHER_API_KEY")


class ConfigError(ValueError):
    """A configuration mistake the user must fix; its message is one actionable line."""


def _int(env: dict[str, str], name: str, default: int | None = None) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must be >= 0, got {value}")
    return value


def _flag(env: dict[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() not in ("", "0", "false", "no")


def _float(env: dict[str, str], name: str, default: float, zero: bool = False) -> float:
    """Seconds; `zero`: 0 is allowed (a budget of none), else the value must be > 0."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value < 0 or (value == 0 and not zero):
        bound = ">= 0" if zero else "> 0"
        raise ConfigError(f"{name} must be {bound}, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the suite knows about its target; built once per run."""

    base_url: str | None
    api_key: str | None
    template_id: str | None = None
    forbidden_api_key: str | None = None
    other_api_key: str | None = None
    rate_limit: int | None = None
    # The contract's window; a harness may start a sibling with a shorter one.
    rate_window: float = 60.0
    max_requests: int | None = None
    # Campaigns the run may create (MAX_CAMPAIGNS): a case that would create one more is not sent.
    max_campaigns: int = 30
    max_time: float = 1800.0
    request_timeout: float = 10.0
    # Response bodies are read up to this many decoded bytes; more is a transport fault.
    max_body: int = 1_000_000
    transport_retries: int = 2
    seed: int = 0
    # gate: the lean default (the matrix proves the edges; a small seeded property share);
    # nightly: the deep exploration (coverage phase, many examples, a larger request budget).
    depth: str = "gate"
    examples: int = 25
    derandomize: bool = False
    run_id: str = ""
    reports_dir: Path = ROOT / "reports"
    baseline: Path = ROOT / "baseline.json"
    # What a harness says of a target it started (the engine knows no more of it): its name in
    # the reports, whether RATE_LIMIT paces it, whether its optional inputs need vetting, and
    # the limit of the rate-limited sibling it offers for the rate-limit check (0: none; the
    # planned cost counts its burst).
    label: str | None = None
    paced: bool = True
    vet_inputs: bool = True
    sibling_rate_limit: int = 0
    # A strict gate is never conforming with a rule off, but for the rules accepted off.
    strict: bool = False
    allow_off: tuple[str, ...] = ()

    @property
    def needs_target(self) -> bool:
        """No target named: a harness may offer one (see `pytest_layer.hooks`)."""
        return self.base_url is None

    @property
    def target_label(self) -> str | None:
        """The target as reports and the terminal name it."""
        return self.label or self.base_url

    @property
    def pace_interval(self) -> float:
        """Seconds between requests: the window over the limit, for a paced target."""
        return self.rate_window / self.rate_limit if self.rate_limit and self.paced else 0.0

    @property
    def name_prefix(self) -> str:
        return name_prefix(self.run_id)

    def secrets(self) -> list[str]:
        """Values that must never appear in any artifact."""
        keys = (self.api_key, self.forbidden_api_key, self.other_api_key)
        return [k for k in keys if k]

    def key_variable(self, key: str | None) -> str | None:
        """The variable whose key this is (for a reproduce line), or None: no key, a made-up one."""
        if not key:
            return None
        for name, value in zip(KEY_VARIABLES, self.secrets_by_variable(), strict=True):
            if value and key == value:
                return name
        return None

    def secrets_by_variable(self) -> tuple[str | None, ...]:
        """The keys in the order of KEY_VARIABLES."""
        return (self.api_key, self.forbidden_api_key, self.other_api_key)

    def with_target(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def reports_only(cls) -> Settings:
        """Where reports go when the configuration itself was refused (a setup stop)."""
        raw = os.environ.get("REPORTS_DIR", "").strip()
        return cls(base_url=None, api_key=None, reports_dir=Path(raw) if raw else ROOT / "reports")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, run_id: str = "") -> Settings:
        env = dict(os.environ if env is None else env)
        base_url = env.get("BASE_URL", "").strip().rstrip("/") or None
        api_key = env.get("API_KEY", "").strip() or None
        if base_url is not None:
            parts = urlsplit(base_url)
            if "@" in parts.netloc:
                # Userinfo would be sent as Basic auth (requests reads it from the URL) and
                # printed with the URL. The contract's authentication is the x-api-key header
                # alone, so the URL is refused, and never shown: it holds a password.
                raise ConfigError(
                    "BASE_URL holds userinfo (user:password@): the contract authenticates with "
                    "the x-api-key header alone (API_KEY); remove it from BASE_URL"
                )
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigError(
                    f"BASE_URL must be an http(s) URL like http://127.0.0.1:8000, got {base_url!r}"
                )
            if api_key is None:
                raise ConfigError("API_KEY is required when BASE_URL is set")
        elif api_key is not None:
            # No silent fallback: a key for a real target with no target named is a mistake,
            # not a request to test whatever a harness would start.
            raise ConfigError(
                "API_KEY is set but BASE_URL is not: set BASE_URL to the target's API root "
                "(the suite's own target runs only when neither is set)"
            )
        seed = _int(env, "SEED")
        depth = env.get("DEPTH", "").strip().lower() or "gate"
        if depth not in DEPTHS:
            raise ConfigError(f"DEPTH must be one of {', '.join(DEPTHS)}, got {depth!r}")
        return cls(
            base_url=base_url,
            api_key=api_key,
            template_id=env.get("TEMPLATE_ID", "").strip() or None,
            forbidden_api_key=env.get("FORBIDDEN_API_KEY", "").strip() or None,
            other_api_key=env.get("OTHER_API_KEY", "").strip() or None,
            rate_limit=_int(env, "RATE_LIMIT") or None,
            rate_window=_float(env, "RATE_WINDOW", 60.0),
            # A budget's 0 means none of it, in every budget (unset: the default).
            max_time=_float(env, "MAX_TIME", 1800.0, zero=True),
            request_timeout=_float(env, "REQUEST_TIMEOUT", 10.0),
            max_body=_int(env, "MAX_BODY", 1_000_000) or 0,
            transport_retries=_int(env, "TRANSPORT_RETRIES", 2) or 0,
            # A fixed default seed: `make test` must give the same verdict twice.
            seed=seed if seed is not None else 0,
            depth=depth,
            examples=_int(env, "EXAMPLES") or DEPTHS[depth]["examples"] or 1,
            max_requests=_int(env, "MAX_REQUESTS", DEPTHS[depth]["max_requests"]),
            max_campaigns=_int(env, "MAX_CAMPAIGNS", DEPTHS[depth]["max_campaigns"]) or 0,
            run_id=run_id or new_run_id(env),
            derandomize=_flag(env, "DERANDOMIZE"),
            strict=_flag(env, "STRICT"),
            allow_off=tuple(r for r in re.split(r"[\s,]+", env.get("ALLOW_OFF", "")) if r),
            baseline=Path(env["BASELINE"])
            if env.get("BASELINE", "").strip()
            else ROOT / "baseline.json",
            reports_dir=Path(env["REPORTS_DIR"])
            if env.get("REPORTS_DIR", "").strip()
            else ROOT / "reports",
        )
