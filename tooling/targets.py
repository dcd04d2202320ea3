"""The embedded target served in this process, for the tooling's and the selftests' runs: a
pytest plugin object that answers the engine's target hooks before the harness does
(`tryfirst`), with a reference-server app on a thread of this process instead of a child
interpreter. It offers what the harness's embedded target offers (the same settings, a
rate-limited sibling), so a run here plans, sends and judges exactly as `make test` does."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field

import pytest

from conformance.settings import Settings
from harness.embedded import EMBEDDED_RATE_LIMIT, EMBEDDED_RATE_WINDOW, EmbeddedKeys
from harness.plugin import EMBEDDED_LABEL, as_embedded
from refserver.app import RefApp
from refserver.config import ServerConfig
from refserver.hosting import in_thread
from refserver.seed import Settings as ServerKeys


@dataclass
class InProcessTarget:
    defect: str = ""
    variant: str = ""
    stack: str = "uvicorn"
    # The apps served so far (the main target, its sibling): what they counted, for a bench.
    apps: list[RefApp] = field(default_factory=list)

    def serve(self, stack: ExitStack, keys: EmbeddedKeys, rate_limit: int, window: float) -> str:
        """A reference server of this target's kind, up for the run; its base URL."""
        server_keys = ServerKeys(
            key=keys.api_key,
            forbidden_key=keys.forbidden_api_key,
            other_key=keys.other_api_key,
            template_id=keys.template_id,
        )
        app = RefApp(ServerConfig(self.defect, self.variant, server_keys, rate_limit, window))
        self.apps.append(app)
        return stack.enter_context(in_thread(app, self.stack))

    @pytest.hookimpl(tryfirst=True)
    def pytest_conformance_target(self, settings: Settings, stack: ExitStack) -> Settings:
        keys = EmbeddedKeys.fresh()
        return as_embedded(settings, self.serve(stack, keys, 0, 60.0), keys, 0)

    @pytest.hookimpl(tryfirst=True)
    def pytest_conformance_limited_target(
        self, settings: Settings, stack: ExitStack
    ) -> Settings | None:
        if settings.label != EMBEDDED_LABEL:
            return None
        keys = EmbeddedKeys(
            settings.api_key or "",
            settings.forbidden_api_key or "",
            settings.other_api_key or "",
            settings.template_id or "",
        )
        url = self.serve(stack, keys, EMBEDDED_RATE_LIMIT, EMBEDDED_RATE_WINDOW)
        limited = as_embedded(settings, url, keys, EMBEDDED_RATE_LIMIT)
        return limited.with_target(rate_window=EMBEDDED_RATE_WINDOW)

    @pytest.hookimpl(tryfirst=True)
    def pytest_conformance_reproduce_note(self, settings: Settings) -> str | None:
        if settings.label != EMBEDDED_LABEL:
            return None
        chosen = [
            f"REFSERVER_{name}={value}"
            for name, value in (("DEFECT", self.defect), ("VARIANT", self.variant))
            if value
        ]
        chosen.append(f"REFSERVER_STACK={self.stack}")
        return (
            f"the embedded server is gone; bring the same one back with `{' '.join(chosen)} make "
            "serve PORT=8000` and replay the reproduce lines against http://127.0.0.1:8000 "
            "with the keys it prints"
        )
