"""``tunelint lsp``: run the language server (stdio, or TCP for debugging)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("lsp", help="run the language server (stdio)")
    p.add_argument("--stdio", action="store_true", help="use stdin/stdout (the default)")
    p.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP socket instead of stdio")
    p.add_argument("--log-file", help="write the server's log to this file")
    p.add_argument("--log-level", default="WARNING",
                   choices=["DEBUG", "INFO", "WARNING", "ERROR"], type=str.upper)
    p.set_defaults(func=run)


def _host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"--tcp wants HOST:PORT, got {value!r}")
    return host or "127.0.0.1", int(port)


def run(args: argparse.Namespace) -> int:
    level = getattr(logging, args.log_level, logging.WARNING)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if args.log_file:
        handlers.append(logging.FileHandler(args.log_file, encoding="utf-8"))
    from tunelint.lsp.settings import RedactSecrets

    for h in handlers:
        h.addFilter(RedactSecrets())
    logging.basicConfig(level=logging.WARNING, handlers=handlers,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("tunelint").setLevel(level)
    # pygls traces every message at INFO (settings included): only at DEBUG, and redacted.
    logging.getLogger("pygls").setLevel(level if level <= logging.DEBUG else logging.WARNING)

    from tunelint.lsp.server import main

    if args.tcp:
        try:
            host, port = _host_port(args.tcp)
        except argparse.ArgumentTypeError as e:
            print(f"tunelint: {e}", file=sys.stderr)
            return 2
        main(host, port)
    else:
        main()
    return 0
