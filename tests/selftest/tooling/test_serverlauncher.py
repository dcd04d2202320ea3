"""The server launcher forks the reference server the harness would have started: the same
arguments and environment (a planted defect included), served over real HTTP; it stops when
the harness stops it, and when the process that asked for it dies, however it dies."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness.embedded import EmbeddedKeys, embedded_server
from harness.launched import LAUNCHER_VARIABLE
from tooling.childenv import child_env
from tooling.serverlauncher import ServerLauncher

KEYS = EmbeddedKeys.fresh()
PATH = "/v2/campaigns"


@pytest.fixture(scope="module")
def launcher() -> Iterator[ServerLauncher]:
    started = ServerLauncher(child_env())
    try:
        assert started.ready and LAUNCHER_VARIABLE in started.env()
        yield started
    finally:
        started.close()


def _children(pid: int) -> list[int]:
    return [
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]


def _accepts(url: str) -> bool:
    host, port = url.rsplit("//", 1)[1].rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def _closed_within(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _accepts(url) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _accepts(url)


@pytest.mark.parametrize("defect", ["", "auth_ignored"])
def test_a_launched_server_serves_its_defect_and_stops_with_the_block(
    launcher: ServerLauncher, monkeypatch: pytest.MonkeyPatch, defect: str
) -> None:
    monkeypatch.setenv(LAUNCHER_VARIABLE, launcher.socket)
    with embedded_server(KEYS, defect=defect) as url:
        answer = requests.post(url + PATH, json={}, timeout=10)
        forked = _children(launcher.pid)
    # The server was the launcher's child, not a fresh interpreter of ours.
    assert len(forked) == 1, forked
    # Without a key the reference server says 401; with auth_ignored planted it does not.
    assert (answer.status_code == 401) is (defect == "")
    assert _closed_within(url, 5), "the server outlived its block"


def test_a_launched_server_ends_with_the_process_that_asked(launcher: ServerLauncher) -> None:
    asker = (
        "import sys, time\n"
        "from harness.embedded import EmbeddedKeys, embedded_server\n"
        "with embedded_server(EmbeddedKeys.fresh()) as url:\n"
        "    print(url, flush=True)\n"
        "    time.sleep(60)\n"
    )
    env = {**child_env(), **launcher.env()}
    proc = subprocess.Popen([sys.executable, "-c", asker], env=env, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().decode().strip()
        assert url.startswith("http://127.0.0.1:") and _accepts(url), url
        proc.kill()  # no clean-up runs: only the kernel closing its end of the life line
        proc.wait(timeout=10)
        assert _closed_within(url, 5), "the server outlived the process that asked for it"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
