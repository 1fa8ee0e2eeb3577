"""Dataset readers: every ground truth becomes a list of :class:`~vsgg_ros.eval.video.VideoGraphs`.

:func:`read_ground_truth` tells the sources apart by their form: a bag (rosbag2 folder, ``.mcap``,
``.db3``) with a ground-truth SceneGraph topic, or a dataset folder (Action Genome pickles, VidVRD /
VidOR json, PVSG json + masks, PSG json).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from vsgg_ros.eval.readers.action_genome import AgFilters, is_action_genome, read_action_genome
from vsgg_ros.eval.readers.graphs import GT_TOPIC, GraphStream, is_bag, read_bag_graphs, read_graphs
from vsgg_ros.eval.readers.psg import is_psg, read_psg
from vsgg_ros.eval.readers.pvsg import is_pvsg, read_pvsg
from vsgg_ros.eval.readers.vidvrd import is_vidvrd, read_vidvrd, split_triplets
from vsgg_ros.eval.video import VideoGraphs
from vsgg_ros.graph import SceneGraph

__all__ = [
    "DATASETS",
    "AgFilters",
    "GraphStream",
    "GroundTruth",
    "read_action_genome",
    "read_graphs",
    "read_ground_truth",
    "read_psg",
    "read_pvsg",
    "read_vidvrd",
    "videos_from_graphs",
]

DATASETS = ("auto", "bag", "action_genome", "vidvrd", "vidor", "pvsg", "psg")
DEFAULT_SPLITS = {"action_genome": "test", "vidvrd": "test", "vidor": "validation", "pvsg": "val", "psg": "test"}
TRAIN_SPLITS = {"vidvrd": "train", "vidor": "training"}


@dataclass
class GroundTruth:
    videos: list[VideoGraphs]
    kind: str
    invalid: int = 0
    train_triplets: set[tuple[str, str, str]] | None = None


def videos_from_graphs(graphs: list[SceneGraph], name: str) -> list[VideoGraphs]:
    """Graphs of a recording grouped by ``source_id`` (one video per camera); a lone source takes
    ``name`` as its video id."""
    by_source: dict[str, list[SceneGraph]] = defaultdict(list)
    for g in graphs:
        by_source[g.source_id].append(g)
    if len(by_source) == 1:
        ((source, items),) = by_source.items()
        return [VideoGraphs(name, items, meta={"source_id": source})]
    return [VideoGraphs(source, items, meta={"source_id": source}) for source, items in sorted(by_source.items())]


def detect_dataset(path: Path, split: str | None) -> str:
    if is_bag(path):
        return "bag"
    if is_action_genome(path):
        return "action_genome"
    if is_pvsg(path):
        return "pvsg"
    if is_psg(path):
        return "psg"
    for kind in ("vidvrd", "vidor"):
        if is_vidvrd(path, split or DEFAULT_SPLITS[kind]):
            return kind
    raise ValueError(
        f"cannot tell what ground truth {path} is: not a bag, nor an Action Genome, PVSG, PSG, VidVRD or VidOR root"
    )


def read_ground_truth(
    path: str | Path,
    dataset: str = "auto",
    split: str | None = None,
    mode: str = "predcls",
    ag_filters: AgFilters | None = None,
    gt_topic: str | None = None,
    with_train_triplets: bool = True,
) -> GroundTruth:
    """Ground truth of any supported source; ``split`` defaults per dataset (AG/VidVRD/PSG ``test``, VidOR
    ``validation``, PVSG ``val``). For VidVRD/VidOR the training split's triplets are read too (zero-shot)
    when present."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"ground truth {p} does not exist")
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")
    kind = detect_dataset(p, split) if dataset == "auto" else dataset
    if kind == "bag":
        stream = read_bag_graphs(p, gt_topic or GT_TOPIC, prefer=GT_TOPIC)
        return GroundTruth(videos_from_graphs(stream.graphs, p.stem), kind, stream.invalid)
    split = split or DEFAULT_SPLITS[kind]
    if kind == "action_genome":
        return GroundTruth(read_action_genome(p, split, mode, ag_filters), kind)
    if kind == "pvsg":
        return GroundTruth(read_pvsg(p, split), kind)
    if kind == "psg":
        return GroundTruth(read_psg(p, split), kind)
    train = None
    train_split = TRAIN_SPLITS[kind]
    if with_train_triplets and train_split != split and is_vidvrd(p, train_split):
        train = split_triplets(p, train_split)
    return GroundTruth(read_vidvrd(p, split), kind, train_triplets=train)
