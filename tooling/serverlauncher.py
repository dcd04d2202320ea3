"""The owner of one `python -m refserver.launcher` process: the reference servers of many short
runs of the suite are forked there (the harness asks it when REFSERVER_LAUNCHER names its
socket) instead of each starting a fresh interpreter that imports the server again.

The tooling starts it as it starts any other server, as a child process; nothing here imports
the reference server. Its socket lives in a private directory (mode 0700) that goes with it."""

from __future__ import annotations

import select
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from conformance.run.settings import ROOT
from harness.launched import LAUNCHER_VARIABLE

READY_TIMEOUT = 60.0


class ServerLauncher:
    def __init__(self, env: Mapping[str, str]) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="refserver-launcher-"))
        self.socket = str(self._dir / "launcher.sock")
        # stdin is the launcher's life line: when this process ends, however it ends, the pipe
        # closes and the launcher ends with it.
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "refserver.launcher", "--socket", self.socket],
            cwd=ROOT,
            env=dict(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert self._proc.stdout is not None
        # One line when it listens; none if it failed (then its runs start servers themselves).
        ready, _, _ = select.select([self._proc.stdout], [], [], READY_TIMEOUT)
        self.ready = bool(ready) and self._proc.stdout.readline().strip() == b"ready"

    @property
    def pid(self) -> int:
        return self._proc.pid

    def env(self) -> dict[str, str]:
        """The variable that sends a run's servers here (nothing when the launcher is not up)."""
        if self.ready and self._proc.poll() is None:
            return {LAUNCHER_VARIABLE: self.socket}
        return {}

    def close(self) -> None:
        for stream in (self._proc.stdin, self._proc.stdout):
            if stream is not None:
                stream.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=10)
        shutil.rmtree(self._dir, ignore_errors=True)
