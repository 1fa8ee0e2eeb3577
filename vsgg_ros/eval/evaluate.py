"""`vsgg eval` without the command line: read predictions and ground truth, pair them, run a protocol,
and return one JSON-ready report (see docs/evaluation.md for its layout)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from vsgg_ros.eval.ag import (
    CONSTRAINTS,
    MODES,
    AgFrameMatches,
    AgOptions,
    Constraint,
    Mode,
    ag_vocabulary,
    evaluate_ag_frame,
    summarize_ag,
)
from vsgg_ros.eval.ag_adapt import AdaptStats, ag_gt_from_graph, ag_prediction_from_graph
from vsgg_ros.eval.align import ALIGNS, Align, align_all, resolve_align
from vsgg_ros.eval.geometry import IOU_CONVENTIONS, IouConvention
from vsgg_ros.eval.judge import Judge
from vsgg_ros.eval.pvsg import MaskTube, PvsgOptions, TubeRelation, evaluate_pvsg
from vsgg_ros.eval.readers import AgFilters, GraphStream, GroundTruth, read_graphs, read_ground_truth
from vsgg_ros.eval.sgg import EmptySample, SggOptions, evaluate_sgg_sample, summarize_sgg
from vsgg_ros.eval.traser import TraserOptions, evaluate_traser, traser_video_from_graphs
from vsgg_ros.eval.video import (
    VideoGraphs,
    instances_from_graphs,
    majority_label,
    object_tracks,
    relation_frames,
    relation_scores,
)
from vsgg_ros.eval.vidvrd import VidvrdOptions, evaluate_vidvrd, zero_shot_split
from vsgg_ros.graph import SceneGraph

ProtocolName = Literal["ag", "sgg", "vidvrd", "pvsg", "traser"]
PROTOCOLS: tuple[ProtocolName, ...] = ("ag", "sgg", "vidvrd", "pvsg", "traser")
DEFAULT_IOU: dict[str, IouConvention] = {"ag": "continuous", "sgg": "continuous", "vidvrd": "pixel"}
Distributions = Mapping[tuple[str, int], Mapping[tuple[int, int], np.ndarray]]


@dataclass(frozen=True)
class EvalConfig:
    """Every option of every protocol; each protocol reads the ones it knows (docs/evaluation.md)."""

    protocol: ProtocolName = "ag"
    mode: Mode = "sgdet"
    constraint: Constraint = "with"
    iou_threshold: float = 0.5
    iou_convention: IouConvention | None = None
    semi_threshold: float = 0.9
    keep_zero_scores: bool = False
    attention_logits: bool = False
    align: Align = "auto"
    empty_sample: EmptySample = "perfect"
    relations_need_object_labels: bool = False
    tiou_thresholds: tuple[float, ...] = (0.5, 0.1)
    judge: Judge | None = None
    progress: bool = False

    def __post_init__(self) -> None:
        for name, allowed in (
            ("protocol", PROTOCOLS),
            ("mode", MODES),
            ("constraint", CONSTRAINTS),
            ("align", ALIGNS),
            ("iou_convention", (None, *IOU_CONVENTIONS)),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if not 0.0 < self.iou_threshold <= 1.0:
            raise ValueError(f"iou_threshold must be in (0, 1], got {self.iou_threshold}")

    @property
    def convention(self) -> IouConvention:
        return self.iou_convention or DEFAULT_IOU.get(self.protocol, "continuous")

    def public(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("judge", "progress")}
        d["iou_convention"] = self.convention
        d["judge"] = type(self.judge).__name__ if self.judge is not None else None
        d["tiou_thresholds"] = list(self.tiou_thresholds)
        return d


def _progress(items: Iterable[Any], total: int, enabled: bool, unit: str) -> Iterable[Any]:
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, total=total, unit=unit, desc="vsgg eval", dynamic_ncols=True)


def _retimed(preds: Sequence[SceneGraph | None], gt: VideoGraphs) -> list[SceneGraph | None]:
    """Aligned predictions put on the GT's time axis (its frame indices)."""
    return [
        None if p is None else dataclasses.replace(p, frame_index=g.frame_index)
        for p, g in zip(preds, gt.graphs, strict=True)
    ]


def _k(d: Mapping[int, float]) -> dict[str, float]:
    return {str(k): v for k, v in d.items()}


def run_ag(
    videos: Sequence[VideoGraphs],
    aligned: Sequence[Sequence[SceneGraph | None]],
    config: EvalConfig,
    distributions: Distributions | None = None,
) -> dict[str, Any]:
    """AG R@K / mR@K (both ways) / P@K / F1@K over every GT frame."""
    options = AgOptions(
        constraint=config.constraint,
        iou_threshold=config.iou_threshold,
        iou_convention=config.convention,
        semi_threshold=config.semi_threshold,
        keep_zero_scores=config.keep_zero_scores,
    )
    stats = AdaptStats()
    frames: list[AgFrameMatches] = []
    pairs = [(v, g, p) for v, preds in zip(videos, aligned, strict=True) for g, p in zip(v.graphs, preds, strict=True)]
    for video, gt_graph, pred_graph in _progress(pairs, len(pairs), config.progress, "frame"):
        key = (video.video_id, gt_graph.frame_index)
        gt = ag_gt_from_graph(gt_graph, stats, key=key)
        pred = None
        if pred_graph is not None:
            dist = None if distributions is None else distributions.get(key, {})
            pred = ag_prediction_from_graph(
                pred_graph,
                dist,
                gt=gt_graph,
                mode=config.mode,
                attention_logits=config.attention_logits,
                convention=config.convention,
                stats=stats,
                key=key,
            )
        frames.append(evaluate_ag_frame(gt, pred, options))
    summary = summarize_ag(frames, options.ks)
    warnings = []
    if config.constraint == "no" and distributions is None:
        warnings.append(
            "no-constraint recall from published relations only: every unpublished predicate scores 0, so this is"
            " a lower bound, not STTran's no-constraint protocol (which ranks full per-pair distributions)"
        )
    names = list(ag_vocabulary().predicates)
    return {
        "metrics": {
            "R@K": _k(summary.recall),
            "mR@K (per-frame)": _k(summary.mean_recall_per_frame),
            "mR@K (pooled)": _k(summary.mean_recall_pooled),
            "P@K": _k(summary.precision),
            "F1@K": _k(summary.f1),
            "micro P@K": _k(summary.micro_precision),
            "micro R@K": _k(summary.micro_recall),
            "micro F1@K": _k(summary.micro_f1),
        },
        "counts": {
            "frames_scored": summary.frames,
            "frames_without_gt_relations": summary.frames_without_gt,
            "gt_relations": summary.gt_relations,
            "dropped": stats.counts,
        },
        "per_predicate": {
            "names": names,
            "gt_counts": summary.gt_counts,
            "recall": {str(k): v for k, v in summary.per_predicate_recall_pooled.items()},
            "recall_per_frame": {str(k): v for k, v in summary.per_predicate_recall_per_frame.items()},
            "variant": "pooled",
        },
        "distributions": "full" if distributions is not None else "published-relations-only",
        "warnings": warnings,
    }


def run_sgg(
    videos: Sequence[VideoGraphs], aligned: Sequence[Sequence[SceneGraph | None]], config: EvalConfig
) -> dict[str, Any]:
    options = SggOptions(
        iou_threshold=config.iou_threshold,
        iou_convention=config.convention,
        empty_sample=config.empty_sample,
        relations_need_object_labels=config.relations_need_object_labels,
    )
    pairs = [(g, p) for v, preds in zip(videos, aligned, strict=True) for g, p in zip(v.graphs, preds, strict=True)]
    results = [
        evaluate_sgg_sample(g, p, options, config.judge)
        for g, p in _progress(pairs, len(pairs), config.progress, "frame")
    ]
    s = summarize_sgg(results)
    return {
        "metrics": {
            "object": {"precision": s.object_precision, "recall": s.object_recall, "f1": s.object_f1},
            "relation": {"precision": s.relation_precision, "recall": s.relation_recall, "f1": s.relation_f1},
            "sgg_score": s.sgg_score,
            "parse_failure_rate": s.parse_failure_rate,
            "mean_matched_iou": s.mean_matched_iou,
        },
        "counts": {"samples": s.samples, "parse_failures": s.parse_failures},
        "warnings": [],
    }


def run_vidvrd(
    videos: Sequence[VideoGraphs],
    aligned: Sequence[Sequence[SceneGraph | None]],
    config: EvalConfig,
    train_triplets: set[tuple[str, str, str]] | None = None,
) -> dict[str, Any]:
    options = VidvrdOptions(viou_threshold=config.iou_threshold, iou_convention=config.convention)
    gt, pred = {}, {}
    for video, preds in _progress(list(zip(videos, aligned, strict=True)), len(videos), config.progress, "video"):
        gt[video.video_id] = (
            video.relation_instances if video.relation_instances is not None else (instances_from_graphs(video.graphs))
        )
        pred[video.video_id] = instances_from_graphs(_retimed(preds, video))
    s = evaluate_vidvrd(gt, pred, options)
    section: dict[str, Any] = {
        "metrics": {
            "mAP": s.mean_ap,
            "R@N": {str(k): v for k, v in s.recall.items()},
            "tagging P@n": {str(k): v for k, v in s.tag_precision.items()},
        },
        "counts": {
            "videos_with_gt": s.videos,
            "gt_relations": s.gt_relations,
            "predicted_relations": sum(len(v) for v in pred.values()),
        },
        "warnings": [],
    }
    if train_triplets is not None:
        zs = evaluate_vidvrd(*zero_shot_split(gt, pred, train_triplets), options)
        section["metrics"]["zero-shot"] = {
            "mAP": zs.mean_ap,
            "R@N": {str(k): v for k, v in zs.recall.items()},
            "tagging P@n": {str(k): v for k, v in zs.tag_precision.items()},
        }
        section["counts"]["zero_shot_gt_relations"] = zs.gt_relations
    return section


def tube_relations(graphs: Sequence[SceneGraph | None]) -> list[TubeRelation]:
    """Relations of a video as mask-tube relations: frames where each holds, mean score, majority names."""
    tracks = object_tracks(graphs)
    scores = relation_scores(graphs)
    tubes: dict[int, MaskTube] = {}
    for oid, frames in tracks.items():
        nodes = [frames[f] for f in sorted(frames)]
        tubes[oid] = MaskTube(majority_label(nodes), {f: n.mask for f, n in frames.items() if n.mask is not None})
    return [
        TubeRelation(tubes[s], tubes[o], p, frozenset(frames), scores.get((s, o, p), 1.0))
        for (s, o, p), frames in relation_frames(graphs).items()
    ]


def run_pvsg(
    videos: Sequence[VideoGraphs], aligned: Sequence[Sequence[SceneGraph | None]], config: EvalConfig
) -> dict[str, Any]:
    options = PvsgOptions(mask_iou_threshold=config.iou_threshold, tiou_thresholds=config.tiou_thresholds)
    gt, pred = {}, {}
    warnings = []
    for video, preds in _progress(list(zip(videos, aligned, strict=True)), len(videos), config.progress, "video"):
        if any(o.mask is None for g in video.graphs for o in g.objects):
            raise ValueError(f"PVSG protocol: ground-truth video {video.video_id!r} has objects without masks")
        gt[video.video_id] = tube_relations(video.graphs)
        pred[video.video_id] = tube_relations(_retimed(preds, video))
    if any(not t.subject.masks for rels in pred.values() for t in rels):
        warnings.append("some predicted objects carry no masks; their relations cannot hit (PVSG is mask-based)")
    s = evaluate_pvsg(gt, pred, options)
    first = options.tiou_thresholds[0]
    names = sorted(s.gt_counts)
    return {
        "metrics": {
            f"tIoU>={t}": {"R@K": _k(s.recall[t]), "mR@K": _k(s.mean_recall[t])} for t in options.tiou_thresholds
        },
        "counts": {"videos": s.videos, "gt_relations": s.gt_relations},
        "per_predicate": {
            "names": names,
            "gt_counts": [s.gt_counts[p] for p in names],
            "recall": {str(k): [s.per_predicate_recall[first][k][p] for p in names] for k in options.ks},
            "variant": f"pooled, tIoU>={first}",
        },
        "warnings": warnings,
    }


def run_traser(
    videos: Sequence[VideoGraphs], aligned: Sequence[Sequence[SceneGraph | None]], config: EvalConfig
) -> dict[str, Any]:
    gt = {v.video_id: traser_video_from_graphs(v.graphs) for v in videos}
    pred = {
        v.video_id: traser_video_from_graphs(_retimed(p, v))
        for v, p in _progress(list(zip(videos, aligned, strict=True)), len(videos), config.progress, "video")
    }
    s = evaluate_traser(gt, pred, TraserOptions(config.tiou_thresholds), config.judge)
    return {
        "metrics": {
            "triplet recall": {f"tIoU>{t}": v for t, v in s.triplet_recall.items()},
            "relation recall": {f"tIoU>{t}": v for t, v in s.relation_recall.items()},
            "object accuracy": s.object_accuracy,
            "attribute recall": s.attribute_recall,
        },
        "counts": {"videos": s.videos, "objects": s.objects, "attributes": s.attributes, "relations": s.relations},
        "warnings": [],
    }


def latency_stats(graphs: Iterable[SceneGraph]) -> dict[str, dict[str, float]]:
    """Per-stage latency summary (ms) of the predictions that carry ``latency_ms``."""
    values: dict[str, list[float]] = {}
    for g in graphs:
        for stage, ms in g.latency_ms.items():
            values.setdefault(stage, []).append(float(ms))
    out = {}
    for stage, v in sorted(values.items()):
        arr = np.asarray(v)
        out[stage] = {
            "n": float(len(arr)),
            "mean": float(arr.mean()),
            "p50": float(np.percentile(arr, 50)),
            "p95": float(np.percentile(arr, 95)),
            "max": float(arr.max()),
        }
    return out


Runner = Callable[[Sequence[VideoGraphs], Sequence[Sequence[SceneGraph | None]], EvalConfig], dict[str, Any]]


def evaluate_graphs(
    predictions: Sequence[SceneGraph],
    ground_truth: GroundTruth,
    config: EvalConfig,
    distributions: Distributions | None = None,
) -> dict[str, Any]:
    """Score in-memory predictions against loaded ground truth; returns the report dict."""
    how = resolve_align(config.align, ground_truth.kind)
    aligned, stats = align_all(ground_truth.videos, predictions, how)
    if config.protocol == "ag":
        section = run_ag(ground_truth.videos, aligned, config, distributions)
    elif config.protocol == "vidvrd":
        section = run_vidvrd(ground_truth.videos, aligned, config, ground_truth.train_triplets)
    else:
        runners: dict[str, Runner] = {"sgg": run_sgg, "pvsg": run_pvsg, "traser": run_traser}
        section = runners[config.protocol](ground_truth.videos, aligned, config)
    warnings = list(section.pop("warnings", []))
    if stats.matched == 0 and stats.gt_frames:
        warnings.append(f"no prediction paired with any of {stats.gt_frames} GT frames (alignment by {how})")
    return {
        "protocol": config.protocol,
        "options": {**config.public(), "align": how},
        "ground_truth": {
            "kind": ground_truth.kind,
            "videos": len(ground_truth.videos),
            "invalid": ground_truth.invalid,
        },
        "alignment": stats.as_dict(),
        **section,
        "latency_ms": latency_stats(predictions),
        "warnings": warnings,
    }


def latency_samples(graphs: Iterable[SceneGraph], stage: str = "total") -> list[float]:
    return [float(g.latency_ms[stage]) for g in graphs if stage in g.latency_ms]


def evaluate_paths(
    pred: str | Path,
    gt: str | Path,
    config: EvalConfig,
    *,
    dataset: str = "auto",
    split: str | None = None,
    pred_topic: str | None = None,
    gt_topic: str | None = None,
    ag_filters: AgFilters | None = None,
) -> dict[str, Any]:
    """Read a prediction bag/JSONL and a ground-truth bag/dataset folder, then :func:`evaluate_graphs`."""
    return load_and_evaluate(
        pred, gt, config, dataset=dataset, split=split, pred_topic=pred_topic, gt_topic=gt_topic, ag_filters=ag_filters
    )[0]


def load_and_evaluate(
    pred: str | Path,
    gt: str | Path,
    config: EvalConfig,
    *,
    dataset: str = "auto",
    split: str | None = None,
    pred_topic: str | None = None,
    gt_topic: str | None = None,
    ag_filters: AgFilters | None = None,
) -> tuple[dict[str, Any], GraphStream]:
    """:func:`evaluate_paths`, also returning the predictions read (for latency plots)."""
    stream = read_graphs(pred, pred_topic)
    truth = read_ground_truth(gt, dataset, split, config.mode, ag_filters, gt_topic)
    report = evaluate_graphs(stream.graphs, truth, config)
    report["predictions"] = {
        "source": stream.source,
        "graphs": len(stream.graphs),
        "invalid": stream.invalid,
        "errors": stream.errors,
    }
    if stream.invalid:
        report["warnings"].append(f"{stream.invalid} prediction entries could not be decoded (see predictions.errors)")
    return report, stream
