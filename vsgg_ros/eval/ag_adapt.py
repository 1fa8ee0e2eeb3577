"""From this project's SceneGraphs (and Prediction.distributions) to the AG evaluator's frame arrays.

Relation direction. Action Genome stores every label on the (person, object) pair, and so do this
project's AG graphs (the pickles, SceneGraphVLM's ``rel_pairs`` TOON, SynthRoom): each relation's
subject is the person and its ``group`` says attention / spatial / contacting. A relation stored the
other way round (object -> person) is read as the same pair. The evaluator then points spatial
triplets object -> person, as STTran does, so both storages give the same triplets.

Two prediction adapters:
- :func:`ag_prediction_from_graph` with ``distributions`` (``Prediction.distributions``: a 26-wide
  score vector per ordered (person, object) track pair) reproduces every constraint mode;
- without distributions only the *published* relations are known: each becomes one non-zero score in
  an otherwise zero vector. That is exact for ``with`` and ``semi`` (their candidates are the
  published top labels) but **not** STTran's ``no`` constraint, which ranks every predicate of every
  pair: recall there is a lower bound, flagged in the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from vsgg_ros.eval.ag import GROUPS, AgFrameGT, AgFramePrediction, Mode, ag_vocabulary, group_slices
from vsgg_ros.eval.geometry import IouConvention, box_iou
from vsgg_ros.graph import ObjectNode, Relation, SceneGraph, Vocabulary

PERSON = "person"


@dataclass
class AdaptStats:
    """What an adapter dropped, by reason; reported so that nothing disappears silently."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, reason: str, n: int = 1) -> None:
        if n:
            self.counts[reason] = self.counts.get(reason, 0) + n


def _class_id(obj: ObjectNode, vocab: Vocabulary) -> int:
    cid = vocab.object_id(obj.label) if obj.label else -1
    if cid < 0 and 0 <= obj.class_id < len(vocab.objects) and not obj.label:
        cid = obj.class_id
    return cid


def _is_person(obj: ObjectNode, vocab: Vocabulary) -> bool:
    return _class_id(obj, vocab) == vocab.object_id(PERSON)


def _predicate(rel: Relation, vocab: Vocabulary) -> tuple[int, str]:
    """Global predicate id and group of a relation, or (-1, "") when it is not an AG predicate."""
    pid = vocab.predicate_id(rel.predicate) if rel.predicate else -1
    if pid < 0 and not rel.predicate and 0 <= rel.predicate_id < len(vocab.predicates):
        pid = rel.predicate_id
    if pid < 0:
        return -1, ""
    group = vocab.group_of(pid)
    if rel.group and rel.group != group:
        return -1, ""
    return pid, group


def _pair(rel: Relation, nodes: Mapping[int, ObjectNode], vocab: Vocabulary) -> tuple[int, int] | None:
    """(person id, other id) for a relation stored either way round; None if neither end is a person."""
    s, o = nodes.get(rel.subject_id), nodes.get(rel.object_id)
    if s is None or o is None:
        return None
    if _is_person(s, vocab):
        return rel.subject_id, rel.object_id
    if _is_person(o, vocab):
        return rel.object_id, rel.subject_id
    return None


def ag_gt_from_graph(graph: SceneGraph, stats: AdaptStats | None = None, key: object = None) -> AgFrameGT:
    """GT triplets of one AG graph: attention/contacting person -> object, spatial object -> person.

    Relations that are not AG predicates, whose group disagrees with the predicate, whose ends are
    missing, or that do not touch a person are dropped (counted in ``stats``); repeated triplets count once.
    """
    vocab = ag_vocabulary()
    stats = stats if stats is not None else AdaptStats()
    nodes = {o.id: o for o in graph.objects}
    index = {o.id: i for i, o in enumerate(graph.objects)}
    triplets: list[tuple[int, int, int]] = []
    seen: set[tuple[int, int, int]] = set()
    for rel in graph.relations:
        pid, group = _predicate(rel, vocab)
        if pid < 0:
            stats.add("gt_relation_not_ag_predicate")
            continue
        pair = _pair(rel, nodes, vocab)
        if pair is None:
            stats.add("gt_relation_without_person_or_end")
            continue
        person, other = index[pair[0]], index[pair[1]]
        triplet = (other, person, pid) if group == "spatial" else (person, other, pid)
        if triplet in seen:
            stats.add("gt_relation_duplicate")
            continue
        seen.add(triplet)
        triplets.append(triplet)
    labels = [_class_id(o, vocab) for o in graph.objects]
    stats.add("gt_object_not_ag_class", sum(1 for c in labels if c < 0))
    return AgFrameGT(
        boxes=np.array([o.box for o in graph.objects], dtype=np.float64).reshape(-1, 4),
        labels=np.array(labels, dtype=np.int64),
        relations=np.array(triplets, dtype=np.int64).reshape(-1, 3),
        key=key if key is not None else graph.frame_index,
    )


def substitute_gt_objects(
    pred_objects: list[ObjectNode],
    gt: SceneGraph,
    mode: Mode,
    convention: IouConvention = "continuous",
    stats: AdaptStats | None = None,
) -> list[ObjectNode]:
    """PREDCLS / SGCLS see the GT boxes: each predicted object takes the box of the GT object with its
    id, else of the best still-free GT object with IoU >= 0.5; PREDCLS also takes its label with score 1.
    Predicted objects matching no GT object are dropped (counted). SGDET returns the objects unchanged."""
    if mode == "sgdet":
        return list(pred_objects)
    stats = stats if stats is not None else AdaptStats()
    gt_by_id = {o.id: o for o in gt.objects}
    free = {o.id for o in gt.objects}
    chosen: dict[int, ObjectNode] = {}
    for obj in pred_objects:
        if obj.id in gt_by_id and obj.id in free:
            chosen[obj.id] = gt_by_id[obj.id]
            free.discard(obj.id)
    rest = [o for o in pred_objects if o.id not in chosen]
    if rest and free:
        candidates = [gt_by_id[i] for i in sorted(free)]
        iou = box_iou([o.box for o in rest], [g.box for g in candidates], convention)
        for r, obj in enumerate(rest):
            order = [c for c in np.argsort(-iou[r], kind="stable") if iou[r, c] >= 0.5 and candidates[c].id in free]
            if order:
                chosen[obj.id] = candidates[order[0]]
                free.discard(candidates[order[0]].id)
    out = []
    for obj in pred_objects:
        match = chosen.get(obj.id)
        if match is None:
            stats.add("pred_object_without_gt_box")
            continue
        label, class_id, score = (
            (match.label, match.class_id, 1.0) if mode == "predcls" else (obj.label, obj.class_id, obj.score)
        )
        out.append(ObjectNode(obj.id, label, match.box, class_id, score, obj.state, obj.mask, dict(obj.attributes)))
    return out


def ag_prediction_from_graph(
    graph: SceneGraph,
    distributions: Mapping[tuple[int, int], np.ndarray] | None = None,
    *,
    gt: SceneGraph | None = None,
    mode: Mode = "sgdet",
    attention_logits: bool = False,
    convention: IouConvention = "continuous",
    stats: AdaptStats | None = None,
    key: object = None,
) -> AgFramePrediction:
    """The evaluator's view of one predicted frame.

    With ``distributions`` the pairs are its keys (subject must be a person) and each 26-wide vector is
    split into attention / spatial / contacting (``attention_logits`` applies the softmax STTran's
    evaluator applies to raw logits). Without, pairs and scores come from the published relations:
    the highest published score per (pair, predicate), zero elsewhere. ``gt`` and ``mode`` apply the
    PREDCLS / SGCLS box and label substitution (:func:`substitute_gt_objects`).
    """
    vocab = ag_vocabulary()
    stats = stats if stats is not None else AdaptStats()
    objects = graph.objects
    if mode != "sgdet":
        if gt is None:
            raise ValueError(f"mode {mode!r} needs the GT graph for its boxes")
        objects = substitute_gt_objects(objects, gt, mode, convention, stats)
    nodes = {o.id: o for o in objects}
    index = {o.id: i for i, o in enumerate(objects)}
    width = len(vocab.predicates)
    vectors: dict[tuple[int, int], np.ndarray] = {}
    if distributions is not None:
        for (s, o), vec in distributions.items():
            arr = np.asarray(vec, dtype=np.float64).reshape(-1)
            if arr.shape != (width,):
                raise ValueError(f"distribution for pair ({s}, {o}) must have {width} scores, got {arr.shape}")
            if s not in nodes or o not in nodes:
                stats.add("pred_pair_end_missing")
                continue
            if not _is_person(nodes[s], vocab):
                stats.add("pred_pair_subject_not_person")
                continue
            vectors[(s, o)] = arr.copy()
    else:
        for rel in graph.relations:
            pid, _ = _predicate(rel, vocab)
            if pid < 0:
                stats.add("pred_relation_not_ag_predicate")
                continue
            pair = _pair(rel, nodes, vocab)
            if pair is None:
                stats.add("pred_relation_without_person_or_end")
                continue
            vec = vectors.setdefault(pair, np.zeros(width))
            vec[pid] = max(vec[pid], float(rel.score))
    slices = group_slices()
    pairs = list(vectors)
    mats = {
        g: np.array([vectors[p][slices[g]] for p in pairs], dtype=np.float64).reshape(
            len(pairs), slices[g].stop - slices[g].start
        )
        for g in GROUPS
    }
    if attention_logits and len(pairs):
        z = mats["attention"] - mats["attention"].max(axis=1, keepdims=True)
        mats["attention"] = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return AgFramePrediction(
        boxes=np.array([o.box for o in objects], dtype=np.float64).reshape(-1, 4),
        labels=np.array([_class_id(o, vocab) for o in objects], dtype=np.int64),
        scores=np.array([o.score for o in objects], dtype=np.float64),
        pairs=np.array([(index[s], index[o]) for s, o in pairs], dtype=np.int64).reshape(-1, 2),
        attention=mats["attention"],
        spatial=mats["spatial"],
        contacting=mats["contacting"],
        key=key if key is not None else graph.frame_index,
    )
