"""`vsgg eval`: score a prediction bag/JSONL against ground truth with one protocol.

``add_eval_command`` registers the subcommand on the main `vsgg` parser; ``python -m vsgg_ros.eval.cli``
runs the same command on its own.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

# Choices spelled out here so that registering the command imports nothing heavy; a test checks them
# against the modules that define them.
PROTOCOL_CHOICES = ("ag", "sgg", "vidvrd", "pvsg", "traser")
MODE_CHOICES = ("predcls", "sgcls", "sgdet")
CONSTRAINT_CHOICES = ("with", "semi", "no")
IOU_CHOICES = ("continuous", "pixel")
ALIGN_CHOICES = ("auto", "stamp", "index", "order")
DATASET_CHOICES = ("auto", "bag", "action_genome", "vidvrd", "vidor", "pvsg", "psg")


def add_eval_command(subparsers: argparse._SubParsersAction) -> None:
    """Register ``eval`` on a `vsgg` subparsers object."""
    p = subparsers.add_parser(
        "eval",
        help="score predictions (bag or JSONL) against ground truth (bag or dataset folder)",
        description="Protocols: ag (Action Genome R@K/mR@K/P@K), sgg (SceneGraphVLM P/R/F1), vidvrd "
        "(VidVRD/VidOR mAP, R@N, tagging), pvsg (mask tubes, temporal IoU), traser (open vocabulary). "
        "Details and defaults: docs/evaluation.md.",
    )
    p.add_argument("--pred", required=True, help="predictions: rosbag2 folder, .mcap, .db3 or .jsonl")
    p.add_argument("--gt", required=True, help="ground truth: bag with a ground-truth topic, or a dataset folder")
    p.add_argument("--protocol", required=True, choices=PROTOCOL_CHOICES)
    p.add_argument("--mode", choices=MODE_CHOICES, default="sgdet", help="AG: predcls | sgcls | sgdet (default sgdet)")
    p.add_argument(
        "--constraint", choices=CONSTRAINT_CHOICES, default="with", help="AG: with | semi | no (default with)"
    )
    p.add_argument(
        "--iou",
        choices=IOU_CHOICES,
        default=None,
        help="box IoU convention (default: continuous for ag/sgg, pixel for vidvrd)",
    )
    p.add_argument("--iou-threshold", type=float, default=0.5, help="box/trajectory/mask IoU threshold (default 0.5)")
    p.add_argument("--semi-threshold", type=float, default=0.9, help="AG semi constraint threshold (default 0.9)")
    p.add_argument(
        "--keep-zero-scores",
        action="store_true",
        help="AG: zero-score candidates count as predictions, as in the reference code",
    )
    p.add_argument(
        "--empty-sample",
        choices=("perfect", "zero"),
        default="perfect",
        help="sgg: score of a sample with nothing to find and nothing predicted (default perfect)",
    )
    p.add_argument(
        "--align",
        choices=ALIGN_CHOICES,
        default="auto",
        help="pair predictions with GT frames by stamp, frame index or order (auto: stamp for bags)",
    )
    p.add_argument("--dataset", choices=DATASET_CHOICES, default="auto", help="ground-truth kind (default: detected)")
    p.add_argument("--split", default=None, help="dataset split (default: test / validation / val by dataset)")
    p.add_argument(
        "--pred-topic", default=None, help="SceneGraph topic of a prediction bag (default /vsgg/scene_graph)"
    )
    p.add_argument("--gt-topic", default=None, help="SceneGraph topic of a GT bag (default /vsgg/ground_truth)")
    p.add_argument(
        "--min-frames-per-video",
        type=int,
        default=3,
        help="AG dataset: drop videos with fewer valid frames (STTran 3, OED 1)",
    )
    p.add_argument(
        "--keep-frames-without-person",
        action="store_true",
        help="AG dataset: keep frames without a person box (as frames without GT)",
    )
    p.add_argument(
        "--filter-small-box",
        choices=("auto", "yes", "no"),
        default="auto",
        help="AG dataset: read the filtersmall pickle (auto: for sgdet/sgcls, as STTran)",
    )
    p.add_argument("--json", dest="json_out", metavar="PATH", default=None, help="write the report as JSON")
    p.add_argument("--plots", metavar="DIR", default=None, help="write plots (PNG) into DIR")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no table")
    p.set_defaults(handler=run_eval_command)


def run_eval_command(args: argparse.Namespace) -> int:
    from vsgg_ros.eval.evaluate import EvalConfig, latency_samples, load_and_evaluate
    from vsgg_ros.eval.readers import AgFilters
    from vsgg_ros.eval.report import format_table, write_json, write_plots

    try:
        config = EvalConfig(
            protocol=args.protocol,
            mode=args.mode,
            constraint=args.constraint,
            iou_threshold=args.iou_threshold,
            iou_convention=args.iou,
            semi_threshold=args.semi_threshold,
            keep_zero_scores=args.keep_zero_scores,
            align=args.align,
            empty_sample=args.empty_sample,
            progress=not args.quiet,
        )
        filters = AgFilters(
            require_person_box=not args.keep_frames_without_person,
            min_frames_per_video=args.min_frames_per_video,
            filter_small_box={"auto": None, "yes": True, "no": False}[args.filter_small_box],
        )
        report, stream = load_and_evaluate(
            args.pred,
            args.gt,
            config,
            dataset=args.dataset,
            split=args.split,
            pred_topic=args.pred_topic,
            gt_topic=args.gt_topic,
            ag_filters=filters,
        )
        if args.json_out:
            write_json(report, args.json_out)
        if args.plots:
            write_plots(report, args.plots, latency_samples(stream.graphs))
    except (ValueError, FileNotFoundError, NotADirectoryError) as err:
        print(f"vsgg eval: error: {err}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(format_table(report))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="vsgg")
    add_eval_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
