"""A fork server for child runs of the suite: one process imports pytest, Schemathesis,
Hypothesis and the engine once, then forks one child per run, which applies the run's
environment and calls `pytest.main` with its arguments. A run costs its own work, not a fresh
interpreter and the imports again (most of a short run's time).

The server is single-threaded (a fork copies only the calling thread, so nothing it forks from
can hold a lock another thread took). It reads one JSON request a line on stdin
(`{"id", "args", "env", "cwd", "out"}`) and answers on stdout, one JSON line per event:
`{"id": 0, "ready"}` once preloaded and warmed up, `{"id", "pid"}` when a child is forked,
`{"id", "code", "peak_kb"}` when it has exited (a negative code: killed by that signal; its
peak resident memory, which counts the pages shared with the server too). Each child is the
leader of a session of its own, as a subprocess run is (`tooling.childrun.spawn`), so stopping
its group stops the servers it started. End of input ends the server once its children have
exited.

Run: python -m tooling.forkserver  (started by `tooling.childrun.ForkServer`)
     python -m tooling.forkserver --write-preload  (regenerate tooling/preload.txt)
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import signal
import sys
from pathlib import Path
from typing import IO, Any

# What every run imports; loaded once here, shared copy-on-write by every child. The suite's
# own plugins (conftest.py's pytest_plugins) are left to pytest, which rewrites their asserts.
PRELOAD = (
    "pytest",
    "hypothesis",
    "schemathesis",
    "requests",
    "jsonschema",
    "yaml",
    "conformance.checks.property",
    "conformance.checks.semantic",
    "conformance.contract.matrix",
    "conformance.reports.build",
    "conformance.reports.htmlreport",
    "conformance.wire.session",
    "harness.embedded",
    "pytest_html",
)
# Every other module a run of the suite imports (Schemathesis imports most of itself lazily,
# while generating cases), written by `--write-preload` from a real run; a name that no longer
# imports is skipped. The suite's own plugins, conftest and tests are never in it.
PRELOAD_FILE = Path(__file__).with_name("preload.txt")
NEVER_PRELOAD = ("tests", "conftest", "harness.plugin", "conformance.pytest_layer.plugin", "__")
# Set by the client: run the suite once before forking (`warm_up`).
WARM_UP_VARIABLE = "FORKSERVER_WARM_UP"
QUIET = ("-W", "ignore::pytest.PytestAssertRewriteWarning")


def preload(with_list: bool = True) -> None:
    import importlib

    with_list = with_list and PRELOAD_FILE.exists()
    listed = PRELOAD_FILE.read_text(encoding="utf-8").split() if with_list else []
    for name in (*PRELOAD, *listed):
        if name.startswith(NEVER_PRELOAD):
            continue
        try:
            importlib.import_module(name)
        except Exception:  # a module that no longer imports: the child imports what it needs
            continue
    # The contract, read once (each reader caches its immutable result): every child starts
    # with the document, the rules and the probe tables parsed.
    from conformance.contract.cases import probes
    from conformance.contract.document import target_operation
    from conformance.contract.rules import rules

    target_operation()
    rules()
    probes()


def run_here() -> set[str]:
    """One run of the suite in this process against the embedded server, its output and reports
    thrown away, the environment as it was after it, nothing kept in the run history; the names
    of the modules it imported."""
    import io
    import tempfile

    import pytest

    saved = dict(os.environ)
    before = set(sys.modules)
    with tempfile.TemporaryDirectory() as reports:
        # MAX_TIME: the suite's own deadline bounds the run, whatever happens in it.
        os.environ.update(
            REPORTS_DIR=reports,
            HISTORY_DB="off",
            DERANDOMIZE="1",
            SEED="1",
            DEPTH="gate",
            MAX_TIME="120",
        )
        with (
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
            contextlib.suppress(Exception),  # a failed run costs time in the children, no more
        ):
            pytest.main(["tests/conformance", "-q", "-p", "no:cacheprovider", *QUIET])
    os.environ.clear()
    os.environ.update(saved)
    return set(sys.modules) - before


def warm_up() -> None:
    """One run of the suite here before forking: what the libraries build on first use
    (Hypothesis's and Schemathesis's strategies for the document, jsonschema's validators,
    pytest's plugin lists) is then built once, not in every child. The suite's tests, conftest
    and the harness's plugin are dropped afterwards, so each child imports them afresh (the
    engine's modules stay loaded, as the preload loads them: the run's state lives in its
    pytest config, which is gone with it, never in a module). A selftest holds a forked run to
    a fresh interpreter's report."""
    for name in run_here():
        if name.startswith(NEVER_PRELOAD):
            del sys.modules[name]


def freeze() -> None:
    """What is loaded now never changes: keep it out of every child's garbage collections
    (each full collection would walk all of it) and its pages shared, not copied."""
    gc.collect()
    gc.freeze()


def write_preload() -> int:
    """Run the suite once in this process, after the fixed preload, and list what it imported."""
    preload(with_list=False)  # the list is what a run imports beyond the fixed preload
    names = sorted(n for n in run_here() if not n.startswith(NEVER_PRELOAD))
    PRELOAD_FILE.write_text("\n".join(names) + "\n", encoding="utf-8")
    print(f"{len(names)} modules written to {PRELOAD_FILE}")
    return 0


def child(request: dict[str, Any], proto: int) -> None:
    """In the forked child: the run's session, streams, environment and directory; then the
    suite. Never returns: the child exits with pytest's status."""
    code = 3
    try:
        os.setsid()
        os.close(proto)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        out = os.open(request["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        os.close(null)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        import pytest

        code = int(pytest.main(list(request["args"])))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 3
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _answer(out: IO[str], **fields: Any) -> None:
    out.write(json.dumps(fields) + "\n")
    out.flush()


def serve() -> int:
    # Answers go to a private copy of stdout; the server's own fd 1 and 2 go to stderr's
    # target, so nothing a library prints can corrupt the protocol.
    proto = os.dup(1)
    os.dup2(2, 1)
    answers = os.fdopen(proto, "w", buffering=1)
    preload()
    if os.environ.get(WARM_UP_VARIABLE) == "1":
        warm_up()
    freeze()
    # Id 0: ready. A client times a run's start from here, not from the preload and warm-up.
    _answer(answers, id=0, ready=1)
    running: dict[int, Any] = {}
    buffer = b""
    open_input = True
    while open_input or running:
        ready, _, _ = select.select([0] if open_input else [], [], [], 0.05)
        if ready:
            chunk = os.read(0, 65536)
            if not chunk:
                open_input = False
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                request = json.loads(line)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    child(request, proto)
                running[pid] = request["id"]
                _answer(answers, id=request["id"], pid=pid)
        while running:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
            if pid == 0:
                break
            run_id = running.pop(pid, None)
            if run_id is not None:
                code = os.waitstatus_to_exitcode(status)
                _answer(answers, id=run_id, code=code, peak_kb=usage.ru_maxrss)
    return 0


if __name__ == "__main__":
    sys.exit(write_preload() if sys.argv[1:] == ["--write-preload"] else serve())
