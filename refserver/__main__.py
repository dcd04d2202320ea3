"""CLI: python -m refserver [--host H] [--port P] [--defect NAME | --variant NAME]
[--stack uvicorn|stdlib] [--rate-limit N] ..."""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import json
import os
import sys

from . import defects, variants

_LIST_HINT = "run `python -m refserver --list-defects` to see the names"
_VARIANT_HINT = "run `python -m refserver --list-variants` to see the names"


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0 (0 = no rate limit)")
    return value


def _port(text: str) -> int:
    value = _non_negative(text)
    if value > 65535:
        raise argparse.ArgumentTypeError("must be <= 65535")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m refserver",
        description="Reference server for the CareCycle Create Campaign contract (loopback only).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=_port, default=8000)
    parser.add_argument(
        "--defect",
        default=os.environ.get("REFSERVER_DEFECT", ""),
        help="name of the one planted defect to activate (env REFSERVER_DEFECT)",
    )
    parser.add_argument(
        "--variant",
        default=os.environ.get("REFSERVER_VARIANT", ""),
        help="name of the one legal variant to activate (env REFSERVER_VARIANT)",
    )
    parser.add_argument(
        "--stack",
        default=os.environ.get("REFSERVER_STACK", ""),
        help="HTTP stack: uvicorn (default) or stdlib (http.server); env REFSERVER_STACK. "
        "A variant that needs the stdlib stack selects it when none is given",
    )
    parser.add_argument(
        "--rate-limit",
        type=_non_negative,
        default=None,
        help="requests per key per 60 s; 0 = off (env REFSERVER_RATE_LIMIT, default 0)",
    )
    parser.add_argument(
        "--certfile", default="", help="serve over TLS with this PEM certificate (chain)"
    )
    parser.add_argument("--keyfile", default="", help="the certificate's PEM private key")
    parser.add_argument("--list-defects", action="store_true", help="print the catalogue as JSON")
    parser.add_argument(
        "--list-variants", action="store_true", help="print the variant catalogue as JSON"
    )
    parser.add_argument(
        "--print-keys", action="store_true", help="print the seeded keys and base URL at start"
    )
    return parser


def _base_url(host: str, port: int, tls: bool = False) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{shown}:{port}"


def _print(text: str) -> None:
    try:
        print(text, flush=True)
    except BrokenPipeError:
        # Piped into `head`: not an error; silence the flush at interpreter exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.list_defects:
        _print(json.dumps([dataclasses.asdict(d) for d in defects.CATALOGUE], indent=2))
        return 0
    if args.list_variants:
        _print(json.dumps([dataclasses.asdict(v) for v in variants.CATALOGUE], indent=2))
        return 0
    if args.defect and args.defect not in defects.NAMES:
        parser.error(f"unknown defect {args.defect!r}; {_LIST_HINT}")
    if args.variant and args.variant not in variants.NAMES:
        parser.error(f"unknown variant {args.variant!r}; {_VARIANT_HINT}")
    if args.defect and args.variant:
        # A run shows a defect caught or a variant passed, never both at once.
        parser.error(f"defect {args.defect!r} and variant {args.variant!r}: choose one")
    try:
        stack = variants.resolve_stack(args.variant, args.stack)
    except ValueError as exc:
        parser.error(str(exc))
    if not _is_loopback(args.host):
        parser.error(f"refusing to bind {args.host!r}: only loopback addresses are allowed")
    rate_limit = args.rate_limit
    if rate_limit is None:
        try:
            rate_limit = _non_negative(os.environ.get("REFSERVER_RATE_LIMIT", "0") or "0")
        except argparse.ArgumentTypeError as exc:
            parser.error(f"REFSERVER_RATE_LIMIT: {exc}")

    # Imported late so that --list-defects and argument errors stay fast.
    from .app import create_app

    app = create_app(defect=args.defect, rate_limit=rate_limit, variant=args.variant)
    if args.print_keys:
        s = app.server_state.config.keys
        print(f"refserver base URL:        {_base_url(args.host, args.port, bool(args.certfile))}")
        print(f"REFSERVER_KEY:             {s.key}")
        print(f"REFSERVER_FORBIDDEN_KEY:   {s.forbidden_key}")
        print(f"REFSERVER_OTHER_KEY:       {s.other_key}")
        print(f"REFSERVER_TEMPLATE_ID:     {s.template_id}")
        print(
            f"defect: {args.defect or '(none)'}; variant: {args.variant or '(none)'}; "
            f"stack: {stack}; rate limit: {rate_limit or 'off'}"
        )
        # Ready to paste: the suite's own variables for this server.
        limit = f" RATE_LIMIT={rate_limit}" if rate_limit else ""
        print(
            f"run the suite against it:\n  make test BASE_URL={_base_url(args.host, args.port, bool(args.certfile))} "
            f"API_KEY={s.key} TEMPLATE_ID={s.template_id} FORBIDDEN_API_KEY={s.forbidden_key} "
            f"OTHER_API_KEY={s.other_key}{limit}",
            flush=True,
        )
    from .hosting import serve_forever

    serve_forever(app, stack, args.host, args.port, args.certfile, args.keyfile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
