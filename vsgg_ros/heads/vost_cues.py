"""VLM cues for VOST-SGG: what a VLM proposed for a frame, and where those proposals come from.

VOST-SGG treats the VLM as an *input*: a :class:`CueProvider` hands the head a list of :class:`Cue`
(proposed subject/object labels and boxes plus predicates) per frame. Providers: nothing at all
(:class:`NoCues`, the instance-agnostic ablation), a cache filled by an offline VLM pass
(:class:`CachedCues`), or whatever graph a streaming VLM produced last, at its own rate
(:class:`LatestGraphCues` over :func:`graph_to_cues`). The head never waits on a VLM.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from vsgg_ros.graph import Box, Frame, SceneGraph


@dataclass(frozen=True, slots=True)
class Cue:
    """One proposed (subject, object) pair: labels, boxes in input-image pixels, and its predicates."""

    subject: str
    object: str
    predicates: tuple[str, ...]
    subject_box: Box
    object_box: Box
    score: float = 1.0


@runtime_checkable
class CueProvider(Protocol):
    """Cues for a frame; must return quickly (an empty list is always a valid answer)."""

    def cues(self, frame: Frame) -> list[Cue]: ...


class NoCues:
    """The instance-agnostic (IAQI) setting: no VLM at all."""

    def cues(self, frame: Frame) -> list[Cue]:
        return []


class CachedCues:
    """Cues computed offline, keyed by (source_id, frame index); frames without an entry get none."""

    def __init__(self, table: dict[tuple[str, int], list[Cue]]) -> None:
        self.table = table

    def cues(self, frame: Frame) -> list[Cue]:
        return list(self.table.get((frame.source_id, frame.index), ()))


def cached_cues(graphs: Iterable[SceneGraph]) -> CachedCues:
    """Cues from an earlier VLM pass: each graph's relations folded into cues, keyed by its source and frame."""
    return CachedCues({(g.source_id, g.frame_index): graph_to_cues(g) for g in graphs})


class LatestGraphCues:
    """Streaming mode: the newest graph a VLM has published, however old, turned into cues.

    ``latest`` returns the VLM backend's most recent SceneGraph (or None before its first answer);
    ``max_age_frames`` drops a graph that lags the camera by more than that many frames.
    """

    def __init__(self, latest: Callable[[], SceneGraph | None], max_age_frames: int = 30) -> None:
        if max_age_frames < 0:
            raise ValueError(f"max_age_frames must be >= 0, got {max_age_frames}")
        self.latest = latest
        self.max_age_frames = max_age_frames

    def cues(self, frame: Frame) -> list[Cue]:
        graph = self.latest()
        if graph is None or frame.index - graph.frame_index > self.max_age_frames:
            return []
        return graph_to_cues(graph)


def graph_to_cues(graph: SceneGraph) -> list[Cue]:
    """Group a VLM graph's relations by unordered pair, subject first when it is a person.

    AG writes spatial relations object -> person; folding both directions into one pair gives the
    single (person, object) cue the head's queries stand for.
    """
    nodes = graph.object_by_id()
    grouped: OrderedDict[tuple[int, int], list[tuple[str, float]]] = OrderedDict()
    for rel in graph.relations:
        s, o = rel.subject_id, rel.object_id
        if s not in nodes or o not in nodes or s == o:
            continue
        if _is_person(nodes[o].label) and not _is_person(nodes[s].label):
            s, o = o, s
        grouped.setdefault((s, o), []).append((rel.predicate, rel.score))
    cues = []
    for (s, o), preds in grouped.items():
        names = tuple(dict.fromkeys(p for p, _ in preds))
        score = max(sc for _, sc in preds)
        cues.append(Cue(nodes[s].label, nodes[o].label, names, nodes[s].box, nodes[o].box, float(score)))
    return cues


def top_cues(cues: Iterable[Cue], limit: int) -> list[Cue]:
    """The ``limit`` highest-scoring cues (stable for ties): the head has only N queries to fill."""
    return sorted(cues, key=lambda c: -c.score)[: max(limit, 0)]


def _is_person(label: str) -> bool:
    return label.strip().lower() in ("person", "human", "man", "woman", "people")
