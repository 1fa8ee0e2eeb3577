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


def _run(args: argparse.Namespace) -> int:
    from vsgg_ros.config import flag_specs, load_config
    from vsgg_ros.run import run

    flags = {name: getattr(args, name) for name, _, _ in flag_specs()}
    config = load_config(args.config, flags, args.set or [])
    stats = run(config, progress=not args.json and not args.quiet)
    _emit(stats, args.json)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from vsgg_ros.demo import DEMO_SEED, DemoOptions, run_demo

    width, _, height = args.size.partition("x")
    options = DemoOptions(
        out=Path(args.out),
        frames=args.frames,
        size=(int(width), int(height)),
        seed=DEMO_SEED if args.seed is None else args.seed,
        zmq=None if args.zmq == "off" else args.zmq,
        head=args.head,
        tracker=args.tracker,
        detector=args.detector,
        annotation=args.annotation,
        progress=not args.json,
    )
    summary = run_demo(options)
    if args.json:
        _emit(summary, True)
        return 0
    print(f"\nvsgg demo: {summary['frames']} frames of {summary['recording']}")
    print(f"  detector {summary['detector']}, tracker {summary['tracker']}, head {summary['head']}")
    print(
        f"  {summary['fps']} fps, latency p50 {summary['latency_ms']['p50_ms']} ms, "
        f"p99 {summary['latency_ms']['p99_ms']} ms; stages (ms): "
        + ", ".join(f"{k} {v:.1f}" for k, v in summary["stages_ms"].items())
    )
    for constraint, numbers in summary["action_genome_sgdet"].items():
        cells = "  ".join(
            f"{name.removesuffix('K')}{k} {v:.1f}" for name, values in numbers.items() for k, v in values.items()
        )
        print(f"  Action Genome SGDET, {constraint} constraint: {cells}")
    for name, value in summary["outputs"].items():
        print(f"  {name}: {value}")
    return 0


def _info(args: argparse.Namespace) -> int:
    from vsgg_ros.io.inspect import describe

    _emit(describe(args.path), args.json)
    return 0


def _bench_synth(args: argparse.Namespace) -> int:
    from vsgg_ros.synth.bench import run_synth_bench

    _emit(run_synth_bench(seconds=args.seconds), args.json)
    return 0


def _bench_head(args: argparse.Namespace) -> int:
    if args.head == "vost":
        from vsgg_ros.bench.head_vost import run_vost_bench

        result = run_vost_bench(objects=args.objects)
    elif args.head == "sage":
        from vsgg_ros.bench.head_sage import run_sage_bench

        result = run_sage_bench(objects=args.objects)
    elif args.head == "traser":  # windows, not objects: one LM decode per window dominates
        from vsgg_ros.bench.head_traser import run_traser_bench

        result = run_traser_bench(windows=20)
    else:
        from vsgg_ros.bench.head import run_head_bench

        result = run_head_bench(args.head, args.objects)
    _emit(result, args.json)
    return 0


def _bench_e2e(args: argparse.Namespace) -> int:
    from vsgg_ros.bench.e2e import run_e2e_bench

    width, _, height = args.size.partition("x")
    result = run_e2e_bench(
        frames=args.frames, size=(int(width), int(height)), predictor=None if args.no_predictor else "auto"
    )
    _emit(result, args.json)
    return 0


def _bench_vlm(args: argparse.Namespace) -> int:
    from vsgg_ros.bench.vlm import run_vlm_bench

    _emit(run_vlm_bench(), args.json)
    return 0


def _bench_tracker(args: argparse.Namespace) -> int:
    from vsgg_ros.bench.tracker import run_tracker_bench

    result = run_tracker_bench(
        sizes=tuple(args.sizes), objects=tuple(args.objects), frames=args.frames, memory_frames=args.memory_frames
    )
    _emit(result, args.json)
    return 0


def _bench_pipeline(args: argparse.Namespace) -> int:
    from vsgg_ros.bench.pipeline import run_pipeline_bench

    _emit(run_pipeline_bench(frames=args.frames, predictor_ms=args.predictor_ms, rss_frames=args.rss_frames), args.json)
    return 0


def _add_run(sub: argparse._SubParsersAction) -> None:
    from vsgg_ros.config import flag_specs

    run = sub.add_parser("run", help="run the pipeline on a video, image folder, bag or ZeroMQ image stream")
    run.add_argument("--config", help="YAML file with the same keys as the flags (plus engine:, relations:)")
    run.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="override a config key, e.g. engine.queue_size=4"
    )
    for name, hint, help_text in flag_specs():
        flag = "--" + name.replace("_", "-")
        if hint is bool:
            run.add_argument(flag, dest=name, action="store_true", default=None, help=help_text)
        else:
            kind = {int: int, float: float}.get(_scalar(hint), str)
            run.add_argument(flag, dest=name, type=kind, default=None, help=help_text)
    run.add_argument("--json", action="store_true", help="print the final stats as JSON")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(handler=_run)


def _scalar(hint: object) -> object:
    """The non-None member of ``X | None``."""
    import typing

    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if args else hint


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vsgg", description="Video scene graphs, every frame: run, demo, evaluate, synthesise, benchmark."
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True)

    _add_run(sub)
    demo = sub.add_parser("demo", help="the whole job on the embedded default: SynthRoom -> pipeline -> metrics")
    demo.add_argument("--out", default="out/demo", help="folder for the recording and the results")
    demo.add_argument("--frames", type=int, default=120)
    demo.add_argument("--size", default="320x240", help="WIDTHxHEIGHT")
    demo.add_argument("--seed", type=int, default=None, help="SynthRoom seed (default: one held out from training)")
    demo.add_argument("--zmq", default="tcp://127.0.0.1:5555", help="ZeroMQ PUB endpoint, or 'off'")
    demo.add_argument("--head", default="pals", help="relation head (gt replays the ground truth)")
    demo.add_argument("--tracker", default="association")
    demo.add_argument("--detector", default="onnx")
    demo.add_argument(
        "--annotation",
        default="involved",
        choices=["all", "involved"],
        help="ground truth to score against: pairs in an interaction (as Action Genome) or every visible pair",
    )
    demo.add_argument("--json", action="store_true")
    demo.set_defaults(handler=_demo)
    from vsgg_ros.eval.cli import add_eval_command
    from vsgg_ros.synth.cli import add_synth_commands

    add_eval_command(sub)
    add_synth_commands(sub)
    info = sub.add_parser("info", help="describe a bag (topics, types, counts) or a video (size, fps, frames)")
    info.add_argument("path")
    info.add_argument("--json", action="store_true")
    info.set_defaults(handler=_info)

    bench = sub.add_parser("bench", help="benchmarks with JSON output (ratios measured in one run)")
    bench_sub = bench.add_subparsers(dest="bench", required=True)
    codec = bench_sub.add_parser("codec", help="msgpack vs json throughput; TOON vs JSON length")
    codec.add_argument("--seconds", type=float, default=1.0, help="time budget per measurement")
    codec.add_argument("--json", action="store_true", help="machine-readable output")
    codec.set_defaults(handler=_bench_codec)
    synth = bench_sub.add_parser("synth", help="SynthRoom frames (with exact ground truth) generated per second")
    synth.add_argument("--seconds", type=float, default=5.0)
    synth.add_argument("--json", action="store_true")
    synth.set_defaults(handler=_bench_synth)
    head = bench_sub.add_parser("head", help="a relation head on ONNX Runtime CPU vs torch eager, same inputs")
    head.add_argument("--head", default="pals", choices=["pals", "vost", "sage", "traser"])
    head.add_argument("--objects", type=int, default=20)
    head.add_argument("--json", action="store_true")
    head.set_defaults(handler=_bench_head)
    tracker = bench_sub.add_parser("tracker", help="streaming SAM2 ms/frame vs objects and image size; memory")
    tracker.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    tracker.add_argument("--objects", type=int, nargs="+", default=[1, 4, 8])
    tracker.add_argument("--frames", type=int, default=20)
    tracker.add_argument("--memory-frames", type=int, default=500)
    tracker.add_argument("--json", action="store_true")
    tracker.set_defaults(handler=_bench_tracker)
    e2e = bench_sub.add_parser("e2e", help="SynthRoom -> detector -> tracker -> head: fps and per-stage time")
    e2e.add_argument("--frames", type=int, default=300)
    e2e.add_argument("--size", default="320x240", help="WIDTHxHEIGHT")
    e2e.add_argument("--no-predictor", action="store_true", help="detector and tracker only")
    e2e.add_argument("--json", action="store_true")
    e2e.set_defaults(handler=_bench_e2e)
    vlm = bench_sub.add_parser("vlm", help="TOON vs JSON tokens, tiny-VLM CPU latency, GPU serving target")
    vlm.add_argument("--json", action="store_true")
    vlm.set_defaults(handler=_bench_vlm)
    pipe = bench_sub.add_parser("pipeline", help="engine overhead, overload latency, memory growth, ZeroMQ rate")
    pipe.add_argument("--frames", type=int, default=2000, help="frames for the overhead and overload runs")
    pipe.add_argument("--predictor-ms", type=float, default=60.0, help="predictor cost; source runs 3x faster")
    pipe.add_argument("--rss-frames", type=int, default=20000, help="frames for the memory-growth run")
    pipe.add_argument("--json", action="store_true")
    pipe.set_defaults(handler=_bench_pipeline)
    return parser


def _version() -> str:
    from vsgg_ros import __version__

    return f"vsgg {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    import logging

    from vsgg_ros.config import ConfigError

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except (ConfigError, FileNotFoundError, FileExistsError, NotADirectoryError) as err:
        print(f"vsgg: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
