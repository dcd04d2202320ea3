"""A launcher for many short-lived reference servers: one process imports the server, Starlette
and uvicorn once, then forks one server per request. A fresh `python -m refserver` spends about
a third of a second of CPU importing before it serves; the mutation check starts two servers for
each of its ~290 runs, so this is where a large share of its time went.

The protocol is one Unix-socket connection per server. The client sends one JSON line,
`{"argv": [...], "env": {...}, "cwd": "..."}`: the arguments of `python -m refserver` and the
environment it would have had. The launcher forks; the child answers `{"pid": N}` and runs
`refserver.__main__.main(argv)`. The connection is the server's life line:
- the client shuts down its sending side: the server is stopped (SIGTERM, as `terminate()`);
- the client dies: the kernel closes its end, with the same effect, so no server outlives the
  run that asked for it;
- the server exits: its end closes, which the client reads as the exit.

A request with `"capture": true` is a short command instead (`--list-defects`): the child runs
it and answers `{"code": N, "stdout": "..."}`, then ends.

The launcher is single-threaded (a fork copies only the calling thread). End of its standard
input, or SIGTERM, ends it; the servers it started end with their connections, and share its
process group, so stopping that group stops them too.

Run: python -m refserver.launcher --socket PATH
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import select
import signal
import socket
import sys
import threading
from typing import Any


def preload() -> None:
    """What every server imports, loaded once and shared copy-on-write by every child."""
    import uvicorn
    import uvicorn.config

    from . import __main__ as cli  # noqa: F401
    from . import stdlib_stack  # noqa: F401
    from .app import create_app

    # Config.load imports the protocol, loop and lifespan classes uvicorn picks at start; it
    # binds nothing.
    uvicorn.config.Config(
        create_app(defect="", rate_limit=0, variant=""), log_level="warning"
    ).load()
    del uvicorn
    gc.collect()
    # What is loaded now never changes: keep it out of every child's collections (and its
    # pages shared).
    gc.freeze()


def _read_line(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("the client closed before its request")
        data += chunk
    return data


def _life_line(conn: socket.socket) -> None:
    """In the server: anything from the client, or its end closing, stops the server."""
    with contextlib.suppress(OSError):
        conn.recv(1)
    os.kill(os.getpid(), signal.SIGTERM)


def _exit_code(exc: SystemExit) -> int:
    """As the interpreter maps it: None is 0, an int is itself, anything else (a message) 1."""
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


def _captured(conn: socket.socket, argv: list[str]) -> int:
    """A short command's exit status and output, answered in one line."""
    import io

    from .__main__ import main

    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            code = main(argv)
    except SystemExit as exc:
        code = _exit_code(exc)
    conn.sendall((json.dumps({"code": code, "stdout": out.getvalue()}) + "\n").encode())
    return code


def child(conn: socket.socket, listener: socket.socket, request: dict[str, Any]) -> None:
    """In the forked child: the server, as `python -m refserver` would run it. Never returns."""
    code = 3
    try:
        listener.close()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        if request.get("capture"):
            code = _captured(conn, list(request["argv"]))
            return
        conn.sendall((json.dumps({"pid": os.getpid()}) + "\n").encode())
        threading.Thread(target=_life_line, args=(conn,), daemon=True).start()
        from .__main__ import main

        code = main(list(request["argv"]))
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException:
        code = 3
    finally:
        os._exit(code)


def serve(path: str) -> int:
    preload()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Children are reaped as they end; the launcher never waits for one.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    print("ready", flush=True)
    try:
        while True:
            ready, _, _ = select.select([listener, sys.stdin], [], [])
            if sys.stdin in ready and not os.read(sys.stdin.fileno(), 4096):
                return 0  # the owner is gone
            if listener not in ready:
                continue
            try:
                conn, _ = listener.accept()
            except OSError:
                continue  # out of descriptors for a moment: the next request may get one
            try:
                conn.settimeout(10)
                request = json.loads(_read_line(conn))
                conn.settimeout(None)
            except (OSError, ValueError):
                conn.close()
                continue
            try:
                pid = os.fork()
            except OSError:
                conn.close()  # the client reads the closed connection and starts its own
                continue
            if pid == 0:
                # The child's own SIGCHLD is the default again: the server may wait for its own.
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                child(conn, listener, request)
            conn.close()
    finally:
        listener.close()
        with contextlib.suppress(OSError):
            os.unlink(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m refserver.launcher", description=__doc__)
    parser.add_argument("--socket", required=True, help="the Unix socket to listen on")
    args = parser.parse_args(argv)
    return serve(args.socket)


if __name__ == "__main__":
    sys.exit(main())
