"""``vsgg synth``: render a SynthRoom world to disk and print its summary.

``add_synth_commands(subparsers)`` registers the subcommand; vsgg_ros/cli.py calls it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from vsgg_ros.synth.spec import (
    ANNOTATIONS,
    DEFAULT_ANNOTATION,
    DEFAULT_DIFFICULTY,
    DEFAULT_FPS,
    parse_size,
    world_specs,
)
from vsgg_ros.synth.writer import DEFAULT_FORMATS, FORMATS, parse_formats


def add_synth_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``synth`` on the top-level ``vsgg`` subparsers."""
    p = subparsers.add_parser(
        "synth",
        help="render SynthRoom videos with exact scene graphs (AG / PVSG / VidVRD / bag formats)",
        description="Render SynthRoom: indoor videos with exact per-frame scene graphs in dataset formats.",
    )
    p.add_argument("--out", required=True, type=Path, help="output directory (created if missing)")
    p.add_argument("--videos", type=int, default=12, help="number of videos (default 12: every scenario once)")
    p.add_argument("--frames", type=int, default=60, help="frames per video (default 60)")
    p.add_argument("--seed", type=int, default=0, help="world seed; equal arguments give identical files")
    p.add_argument("--size", default="320x240", help="frame size WIDTHxHEIGHT (default 320x240)")
    p.add_argument(
        "--difficulty",
        type=float,
        default=DEFAULT_DIFFICULTY,
        help=f"0..1: clutter, occlusion, camera motion and noise (default {DEFAULT_DIFFICULTY})",
    )
    p.add_argument("--fps", type=float, default=DEFAULT_FPS, help=f"frame rate of the videos (default {DEFAULT_FPS:g})")
    p.add_argument(
        "--annotation",
        default=DEFAULT_ANNOTATION,
        help=f"which person-object pairs carry relations: {' or '.join(ANNOTATIONS)} (default {DEFAULT_ANNOTATION}; "
        "involved = only pairs that interact at some point of the video, as Action Genome annotates)",
    )
    p.add_argument(
        "--formats",
        default=",".join(DEFAULT_FORMATS),
        help=f"comma-separated subset of {','.join(FORMATS)} (default {','.join(DEFAULT_FORMATS)})",
    )
    p.add_argument("--sheet", type=Path, help="also save a contact sheet PNG of the middle frames with their graphs")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run_synth_command)


def run_synth_command(args: argparse.Namespace) -> int:
    """Validate arguments, render, print the summary; 2 on bad input (message on stderr)."""
    from tqdm import tqdm

    from vsgg_ros.synth.writer import write_world

    try:
        size = parse_size(args.size)
        formats = parse_formats(args.formats)
        specs = world_specs(args.videos, args.frames, args.seed, size, args.difficulty, args.fps, args.annotation)
    except ValueError as exc:
        print(f"vsgg synth: {exc}", file=sys.stderr)
        return 2
    total = len(specs) * args.frames
    start = time.perf_counter()
    with tqdm(total=total, unit="frame", disable=args.quiet or args.json or None, desc="synth") as bar:
        summary = write_world(args.out, specs, formats, progress=bar.update)
    elapsed = time.perf_counter() - start
    if args.sheet is not None:
        from vsgg_ros.synth.draw import write_contact_sheet

        write_contact_sheet(args.sheet, specs)
    result: dict[str, Any] = {
        "out": str(args.out),
        "formats": list(formats),
        **summary,
        "seconds": round(elapsed, 3),
        "frames_per_second": round(summary["frames"] / elapsed, 1) if elapsed > 0 else None,
    }
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        print(format_summary(result))
    return 0


def format_summary(result: dict[str, Any]) -> str:
    """Human-readable summary: totals, pair split, then the predicate histogram with bars."""
    lines = [
        f"SynthRoom -> {result['out']}  ({', '.join(result['formats'])})",
        f"videos {result['videos']}  frames {result['frames']}  tracks {result['tracks']}  "
        f"objects/frame {result['objects_per_frame']}  {result['frames_per_second']} frames/s",
        f"person-object pairs {result['pairs']}: interactive {result['interactive_pairs']}, "
        f"non-interactive {result['non_interactive_pairs']} ({100 * result['non_interactive_fraction']:.1f}%)",
        "predicates:",
    ]
    counts: dict[str, int] = result["predicates"]
    top = max(counts.values(), default=1)
    for name, n in counts.items():
        lines.append(f"  {name:<20} {n:>8}  {'#' * max(1, round(30 * n / top))}")
    return "\n".join(lines)
