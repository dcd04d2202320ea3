"""Serving an app of the reference server on either HTTP stack: in the foreground (the CLI), or
in a thread of the caller's process (the tooling's many short runs, the selftests), where one
process serves several apps, each with its own defect or variant and its own port."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

from . import variants

STOP_TIMEOUT = 10.0


def _uvicorn(app: Any, certfile: str, keyfile: str) -> Any:
    import asyncio

    import uvicorn

    class Server(uvicorn.Server):
        async def main_loop(self) -> None:
            # uvicorn's loop looks for should_exit every 0.1 s; a server in a thread is stopped
            # after each of many short runs, so it looks every 0.01 s (its ticks every 0.1 s).
            ticks = 0
            while not self.should_exit:
                if ticks % 10 == 0 and await self.on_tick(ticks // 10):
                    return
                ticks += 1
                await asyncio.sleep(0.01)

    # No log configuration of ours: nothing about callers (keys included) is ever printed.
    config = uvicorn.Config(
        app,
        log_level="warning",
        log_config=None,
        access_log=False,
        ssl_certfile=certfile or None,
        ssl_keyfile=keyfile or None,
    )
    return Server(config)


def serve_forever(
    app: Any, stack: str, host: str, port: int, certfile: str = "", keyfile: str = ""
) -> None:
    """Serve until the process is stopped (Ctrl-C ends it quietly on either stack)."""
    if stack == variants.STDLIB:
        from .stdlib_stack import make_server

        with (
            make_server(app, host, port, certfile, keyfile) as server,
            contextlib.suppress(KeyboardInterrupt),
        ):
            server.serve_forever()
        return
    server = _uvicorn(app, certfile, keyfile)
    server.config.host, server.config.port = host, port
    server.run()


@contextlib.contextmanager
def in_thread(
    app: Any, stack: str, host: str = "127.0.0.1", certfile: str = "", keyfile: str = ""
) -> Iterator[str]:
    """Serve `app` on a free loopback port in a thread for the block; yields its base URL."""
    scheme = "https" if certfile else "http"
    if stack == variants.STDLIB:
        from .stdlib_stack import make_server

        server = make_server(app, host, 0, certfile, keyfile)
        # A short poll: shutdown() waits for the loop to look (0.5 s by default, per server).
        thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        try:
            yield f"{scheme}://{host}:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(STOP_TIMEOUT)
        return
    sock = socket.create_server((host, 0))
    server = _uvicorn(app, certfile, keyfile)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started and thread.is_alive():
            threading.Event().wait(0.01)
        yield f"{scheme}://{host}:{sock.getsockname()[1]}"
    finally:
        # uvicorn's shutdown gives connections a fixed 0.1 s; it ends on its own thread, which
        # closes the listening socket (the block's requests have all been answered by now).
        server.should_exit = True
