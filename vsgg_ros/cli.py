"""The `vsgg` command. Each subcommand lives in the module that does its work; this file only
wires argument parsing to those functions, so `vsgg --help` is the table of contents."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

Handler = Callable[[argparse.Namespace], int]


def _emit(result: dict[str, Any], as_json: bool) -> None:
    """Print a result: JSON for machines (`--json`), an indented listing for people."""
    if as_json:
        print(json.dumps(result, indent=2, sort_keys=True))
        return
    for key, value in result.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for k, v in value.items():
                print(f"  {k}: {v}")
        else:
            print(f"{key}: {value}")


def _bench_codec(args: argparse.Namespace) -> int:
    from vsgg_ros.bench.codec import run_codec_bench

    _emit(run_codec_bench(seconds=args.seconds), args.json)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vsgg", description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True)

    bench = sub.add_parser("bench", help="benchmarks with JSON output (ratios measured in one run)")
    bench_sub = bench.add_subparsers(dest="bench", required=True)
    codec = bench_sub.add_parser("codec", help="msgpack vs json throughput; TOON vs JSON length")
    codec.add_argument("--seconds", type=float, default=1.0, help="time budget per measurement")
    codec.add_argument("--json", action="store_true", help="machine-readable output")
    codec.set_defaults(handler=_bench_codec)
    return parser


def _version() -> str:
    from vsgg_ros import __version__

    return f"vsgg {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
