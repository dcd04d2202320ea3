"""A reference server started by a launcher (`python -m refserver.launcher`, named by
REFSERVER_LAUNCHER) instead of a fresh interpreter: the same arguments and environment, forked
from a process that imported the server once. The tooling sets the variable for its many short
runs (the mutation check); a user's `make test` never does.

The handle answers as much of `subprocess.Popen` as the harness uses (`poll`, `terminate`,
`wait`, `kill`). The connection to the launcher is the server's life line: shutting down our
side stops the server, its end closing is the server's exit, and our process ending (however it
ends) stops the server too."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from contextlib import suppress
from typing import Any

LAUNCHER_VARIABLE = "REFSERVER_LAUNCHER"


def _exchange(conn: socket.socket, path: str, request: dict[str, object]) -> dict[str, Any]:
    """One request to the launcher and its first answer line."""
    conn.connect(path)
    conn.sendall((json.dumps(request) + "\n").encode())
    answer = b""
    while not answer.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("the launcher closed without answering")
        answer += chunk
    parsed: dict[str, Any] = json.loads(answer)
    return parsed


def launched_output(path: str, argv: list[str], env: Mapping[str, str], cwd: str) -> str:
    """What `python -m refserver ARGV` prints (a short command: `--list-defects`), run by the
    launcher; a failing command raises as `subprocess.run(check=True)` would."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(60)
        answer = _exchange(
            conn, path, {"argv": argv, "env": dict(env), "cwd": cwd, "capture": True}
        )
    if answer["code"] != 0:
        raise subprocess.CalledProcessError(answer["code"], argv, answer["stdout"])
    return str(answer["stdout"])


class LaunchedServer:
    def __init__(self, path: str, argv: list[str], env: Mapping[str, str], cwd: str) -> None:
        self.args = argv
        self.returncode: int | None = None
        self._conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._conn.settimeout(10)
        try:
            answer = _exchange(self._conn, path, {"argv": argv, "env": dict(env), "cwd": cwd})
            self.pid = int(answer["pid"])
        except BaseException:
            self._conn.close()
            raise
        self._conn.setblocking(False)

    def poll(self) -> int | None:
        """None while the server runs; once its end of the life line is closed, its exit (the
        code itself is the launcher's to reap, so an ended server reads as 0)."""
        if self.returncode is None:
            ready, _, _ = select.select([self._conn], [], [], 0)
            if ready and self._ended():
                self._finish()
        return self.returncode

    def _ended(self) -> bool:
        try:
            return self._conn.recv(4096) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True

    def _finish(self) -> None:
        self.returncode = 0
        self._conn.close()

    def terminate(self) -> None:
        if self.returncode is None:
            with suppress(OSError):
                self._conn.shutdown(socket.SHUT_WR)

    def kill(self) -> None:
        # poll first: once the server has ended the launcher reaps it at once, and its pid may
        # be another process's.
        if self.poll() is None:
            with suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
            select.select([self._conn], [], [], left)
        return 0
