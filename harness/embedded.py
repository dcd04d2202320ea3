"""Start the embedded reference server as a child process on a loopback port.

The suite never imports the server: it runs `python -m refserver` and meets it over HTTP.
"""

from __future__ import annotations

import functools
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from conformance.settings import ROOT

READY_TIMEOUT = 20.0
# The rate-limited sibling's limit and window: small and short, so the check is quick and a
# second, fresh burst costs seconds, not a minute.
EMBEDDED_RATE_LIMIT = 5
EMBEDDED_RATE_WINDOW = 3.0


@dataclass(frozen=True)
class EmbeddedKeys:
    """Fresh keys per run: they double as canaries for the secrets check."""

    api_key: str
    forbidden_api_key: str
    other_api_key: str
    template_id: str

    @classmethod
    def fresh(cls) -> EmbeddedKeys:
        return cls(
            api_key="cc_" + secrets.token_hex(12),
            forbidden_api_key="cc_" + secrets.token_hex(12),
            other_api_key="cc_" + secrets.token_hex(12),
            template_id=str(uuid.uuid4()),
        )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # Output goes nowhere: nothing the server says may carry a key into a log.
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


@functools.cache
def refserver_output(argv: tuple[str, ...]) -> str:
    """What `python -m refserver ARGV` prints (its catalogue); raises when the command fails.
    Kept for the process: the catalogue is the same for every run of it."""
    return subprocess.run(
        [sys.executable, "-m", "refserver", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def _wait_ready(proc: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"embedded reference server exited with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"embedded reference server not ready on port {port} after {READY_TIMEOUT}s")


@contextmanager
def embedded_server(
    keys: EmbeddedKeys,
    *,
    rate_limit: int = 0,
    defect: str | None = None,
    port: int = 0,
    rate_window: float = EMBEDDED_RATE_WINDOW,
    variant: str | None = None,
    tls: tuple[str, str] | None = None,
) -> Iterator[str]:
    """Run the reference server for the duration of the block; yields its base URL.

    A planted defect is `defect`, or else the inherited REFSERVER_DEFECT variable (which is
    how the mutation check reaches the servers the suite starts). With `tls` (a PEM
    certificate file and its key file) it serves HTTPS.
    """
    port = port or free_port()
    env = dict(os.environ)
    env.update(
        REFSERVER_KEY=keys.api_key,
        REFSERVER_FORBIDDEN_KEY=keys.forbidden_api_key,
        REFSERVER_OTHER_KEY=keys.other_api_key,
        REFSERVER_TEMPLATE_ID=keys.template_id,
        REFSERVER_RATE_LIMIT=str(rate_limit),
        REFSERVER_RATE_WINDOW=str(rate_window),
    )
    if defect is not None:
        env["REFSERVER_DEFECT"] = defect
    if variant is not None:
        env["REFSERVER_VARIANT"] = variant
    cmd = [sys.executable, "-m", "refserver", "--host", "127.0.0.1", "--port", str(port)]
    if tls is not None:
        cmd += ["--certfile", tls[0], "--keyfile", tls[1]]
    proc = _start(cmd, env)
    try:
        _wait_ready(proc, port)
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[Any]) -> None:
    """End a server we started: politely, then for sure."""
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
