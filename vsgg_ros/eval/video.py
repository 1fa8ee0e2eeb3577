"""The one internal form every reader produces: a video as a sequence of ground-truth SceneGraphs.

A frame's time axis is ``SceneGraph.frame_index``; graphs are kept sorted by it and indices are unique.
Datasets whose relations live on intervals (VidVRD, PVSG, TraSeR) put each relation on every frame of
its interval, so spans and trajectories are recovered from the per-frame graphs. VidVRD's exact
relation instances (two abutting instances of one triplet would merge into one span) are kept beside
the graphs when the reader has them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from vsgg_ros.graph import ObjectNode, SceneGraph

RelationKey = tuple[int, int, str]


@dataclass(frozen=True)
class RelationInstance:
    """A relation over a frame interval with both trajectories (VidVRD-helper's relation instance).

    ``span`` is ``[begin, end)``; ``sub_traj``/``obj_traj`` hold one xyxy box per frame of the span.
    """

    triplet: tuple[str, str, str]
    span: tuple[int, int]
    sub_traj: np.ndarray
    obj_traj: np.ndarray
    score: float = 1.0
    subject_id: int = -1
    object_id: int = -1

    def __post_init__(self) -> None:
        object.__setattr__(self, "triplet", tuple(self.triplet))
        object.__setattr__(self, "span", (int(self.span[0]), int(self.span[1])))
        begin, end = self.span
        if end <= begin:
            raise ValueError(f"relation {self.triplet}: empty span {self.span} (end is exclusive)")
        for name in ("sub_traj", "obj_traj"):
            traj = np.asarray(getattr(self, name), dtype=np.float64).reshape(-1, 4)
            if len(traj) != end - begin:
                raise ValueError(f"relation {self.triplet}: {name} has {len(traj)} boxes for span {self.span}")
            object.__setattr__(self, name, traj)


@dataclass
class VideoGraphs:
    """Ground truth (or aligned predictions) of one video."""

    video_id: str
    graphs: list[SceneGraph]
    fps: float | None = None
    width: int | None = None
    height: int | None = None
    relation_instances: list[RelationInstance] | None = None
    meta: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.graphs = sorted(self.graphs, key=lambda g: g.frame_index)
        indices = [g.frame_index for g in self.graphs]
        if len(set(indices)) != len(indices):
            raise ValueError(f"video {self.video_id!r}: duplicate frame indices in its graphs")


def relation_frames(graphs: Iterable[SceneGraph | None]) -> dict[RelationKey, list[int]]:
    """(subject id, object id, predicate) -> sorted frame indices where the relation is published with
    both ends present in that frame."""
    frames: dict[RelationKey, set[int]] = defaultdict(set)
    for graph in graphs:
        if graph is None:
            continue
        present = {o.id for o in graph.objects}
        for r in graph.relations:
            if r.subject_id in present and r.object_id in present:
                frames[r.key].add(graph.frame_index)
    return {key: sorted(v) for key, v in frames.items()}


def relation_scores(graphs: Iterable[SceneGraph | None]) -> dict[RelationKey, float]:
    """Mean published score of each relation over the frames where it appears (a tube's confidence)."""
    total: dict[RelationKey, float] = defaultdict(float)
    count: dict[RelationKey, int] = defaultdict(int)
    for graph in graphs:
        if graph is None:
            continue
        for r in graph.relations:
            total[r.key] += float(r.score)
            count[r.key] += 1
    return {key: total[key] / count[key] for key in total}


def object_tracks(graphs: Iterable[SceneGraph | None]) -> dict[int, dict[int, ObjectNode]]:
    """object id -> {frame index -> node}."""
    tracks: dict[int, dict[int, ObjectNode]] = defaultdict(dict)
    for graph in graphs:
        if graph is None:
            continue
        for obj in graph.objects:
            tracks[obj.id][graph.frame_index] = obj
    return dict(tracks)


def majority_label(nodes: Iterable[ObjectNode]) -> str:
    """Most frequent label of a track; ties go to the label seen first (OpenPVSG takes the most common)."""
    counts: dict[str, int] = {}
    for node in nodes:
        counts[node.label] = counts.get(node.label, 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else ""


def runs(frames: Sequence[int]) -> list[tuple[int, int]]:
    """Maximal runs of consecutive frame indices as ``[begin, end)`` intervals."""
    out: list[tuple[int, int]] = []
    for f in sorted(set(frames)):
        if out and out[-1][1] == f:
            out[-1] = (out[-1][0], f + 1)
        else:
            out.append((f, f + 1))
    return out


def instances_from_graphs(graphs: Sequence[SceneGraph | None]) -> list[RelationInstance]:
    """Relation instances (maximal runs of frames holding one relation) with trajectories and scores.

    The instance score is the mean published relation score over its run; labels are each track's
    majority label over the run.
    """
    tracks = object_tracks(graphs)
    scores_by_frame: dict[tuple[RelationKey, int], float] = {}
    for graph in graphs:
        if graph is None:
            continue
        for r in graph.relations:
            scores_by_frame[(r.key, graph.frame_index)] = max(
                float(r.score), scores_by_frame.get((r.key, graph.frame_index), float("-inf"))
            )
    instances = []
    for key, frames in sorted(relation_frames(graphs).items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        s, o, predicate = key
        for begin, end in runs(frames):
            span = range(begin, end)
            subs = [tracks[s][f] for f in span]
            objs = [tracks[o][f] for f in span]
            instances.append(
                RelationInstance(
                    triplet=(majority_label(subs), predicate, majority_label(objs)),
                    span=(begin, end),
                    sub_traj=np.array([n.box for n in subs], dtype=np.float64),
                    obj_traj=np.array([n.box for n in objs], dtype=np.float64),
                    score=float(np.mean([scores_by_frame[(key, f)] for f in span])),
                    subject_id=s,
                    object_id=o,
                )
            )
    return instances
