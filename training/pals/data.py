"""SynthRoom clips for PALS: frames, detections with track ids, and per-pair training targets.

Targets per frame (``PairTargets``): the (person, object) detection pairs, their AG labels, which
pairs carry a relation loss (matched, P+) and which pairs are affinity negatives (unmatched, P-).
Full supervision matches detections to the frame's truth (same class, IoU >= 0.5). Weak supervision
sees only the middle frame's unlocalized triplets (vsgg_ros.synth.weak) and builds labels the PLA way
(class matching, or RAM), then propagates them to neighbouring frames (same class, IoU >= 0.5 with the
labelled detection in the adjacent frame, chained outward; labels copied, as in PLA's model-free teacher).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from vsgg_training.pals.config import NUM_ATTENTION, NUM_CONTACTING, NUM_SPATIAL
from vsgg_training.pals.detsim import SimulatedDetector
from vsgg_training.pals.ram import GroundingContext, GroundingModel, ram_select, relation_query

from vsgg_ros.graph import SceneGraph
from vsgg_ros.interfaces import Detection
from vsgg_ros.synth import VideoSpec, iter_video
from vsgg_ros.synth.weak import middle_frame, weak_label
from vsgg_ros.vocab import load_vocabulary

VOCAB = load_vocabulary("ag")
PERSON = VOCAB.object_id("person")
SPATIAL0, CONTACT0 = NUM_ATTENTION, NUM_ATTENTION + NUM_SPATIAL


@dataclass
class FrameObjects:
    """Objects of one frame: boxes [N, 4] xyxy, AG class ids, scores, track ids."""

    boxes: np.ndarray
    labels: np.ndarray
    scores: np.ndarray
    tracks: np.ndarray

    @classmethod
    def empty(cls) -> FrameObjects:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, np.int64))

    @classmethod
    def from_detections(cls, items: Sequence[tuple[int, Detection]]) -> FrameObjects:
        keep = [(t, d) for t, d in items if d.class_id >= 0]
        if not keep:
            return cls.empty()
        return cls(
            np.array([d.box for _, d in keep], np.float32).reshape(-1, 4),
            np.array([d.class_id for _, d in keep], np.int64),
            np.array([d.score for _, d in keep], np.float32),
            np.array([t for t, _ in keep], np.int64),
        )

    @classmethod
    def from_graph(cls, graph: SceneGraph) -> FrameObjects:
        objs = [o for o in graph.objects if VOCAB.object_id(o.label) >= 0]
        if not objs:
            return cls.empty()
        return cls(
            np.array([o.box for o in objs], np.float32).reshape(-1, 4),
            np.array([VOCAB.object_id(o.label) for o in objs], np.int64),
            np.ones(len(objs), np.float32),
            np.array([o.id for o in objs], np.int64),
        )

    def pairs(self) -> np.ndarray:
        """Every (person, non-person) index pair, person-major."""
        persons = np.flatnonzero(self.labels == PERSON)
        others = np.flatnonzero(self.labels != PERSON)
        return np.array([(s, o) for s in persons for o in others], np.int64).reshape(-1, 2)


@dataclass
class PairTargets:
    pairs: np.ndarray
    attention: np.ndarray
    spatial: np.ndarray
    contacting: np.ndarray
    matched: np.ndarray
    unmatched: np.ndarray
    weight: np.ndarray

    @classmethod
    def unlabeled(cls, pairs: np.ndarray) -> PairTargets:
        p = len(pairs)
        return cls(
            pairs, np.zeros((p, NUM_ATTENTION), np.float32), np.zeros((p, NUM_SPATIAL), np.float32),
            np.zeros((p, NUM_CONTACTING), np.float32), np.zeros(p, bool), np.zeros(p, bool), np.zeros(p, np.float32),
        )  # fmt: skip


@dataclass
class VideoData:
    video_id: str
    images: np.ndarray
    truth: list[SceneGraph]
    detections: list[FrameObjects]
    gt_objects: list[FrameObjects]
    targets: list[PairTargets] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)


def load_videos(specs: Sequence[VideoSpec], detector_seed: int) -> list[VideoData]:
    """Render each video in memory and run the detector over it."""
    detector = SimulatedDetector(detector_seed)
    out = []
    for spec in specs:
        images, truth, dets, gts = [], [], [], []
        for frame, graph in iter_video(spec):
            frame.ground_truth = graph
            images.append(frame.image)
            truth.append(graph)
            dets.append(FrameObjects.from_detections(detector.detect_tracked(frame)))
            gts.append(FrameObjects.from_graph(graph))
        out.append(VideoData(spec.video_id, np.stack(images), truth, dets, gts))
    return out


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Continuous IoU matrix [len(a), len(b)]."""
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area = lambda x: np.clip(x[:, 2] - x[:, 0], 0, None) * np.clip(x[:, 3] - x[:, 1], 0, None)  # noqa: E731
    return inter / np.maximum(area(a)[:, None] + area(b)[None, :] - inter, 1e-9)


def associate(
    prev: FrameObjects | None, dets: FrameObjects, next_id: int, thr: float = 0.3
) -> tuple[FrameObjects, int]:
    """Greedy same-class IoU association giving track ids to a detector without them."""
    tracks = np.full(len(dets.labels), -1, np.int64)
    if prev is not None and len(prev.labels) and len(dets.labels):
        iou = box_iou(dets.boxes, prev.boxes) * (dets.labels[:, None] == prev.labels[None, :])
        for flat in np.argsort(-iou, axis=None):
            i, j = np.unravel_index(flat, iou.shape)
            if iou[i, j] < thr:
                break
            if tracks[i] < 0 and prev.tracks[j] not in tracks:
                tracks[i] = prev.tracks[j]
    for i in np.flatnonzero(tracks < 0):
        tracks[i], next_id = next_id, next_id + 1
    return FrameObjects(dets.boxes, dets.labels, dets.scores, tracks), next_id


def _label_vectors(graph: SceneGraph, person: int, obj: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    att, spa, con = (
        np.zeros(NUM_ATTENTION, np.float32),
        np.zeros(NUM_SPATIAL, np.float32),
        np.zeros(NUM_CONTACTING, np.float32),
    )
    found = False
    for r in graph.relations:
        if {r.subject_id, r.object_id} != {person, obj}:
            continue
        pid = VOCAB.predicate_id(r.predicate)
        found = True
        if pid < SPATIAL0:
            att[pid] = 1.0
        elif pid < CONTACT0:
            spa[pid - SPATIAL0] = 1.0
        else:
            con[pid - CONTACT0] = 1.0
    return (att, spa, con) if found else None


def full_targets(video: VideoData) -> None:
    """Detections matched to truth (same class, IoU >= 0.5, greedy); matched pairs get their GT labels."""
    video.targets = []
    for graph, dets in zip(video.truth, video.detections, strict=True):
        gt = FrameObjects.from_graph(graph)
        match = np.full(len(dets.labels), -1, np.int64)
        iou = box_iou(dets.boxes, gt.boxes) * (dets.labels[:, None] == gt.labels[None, :])
        used: set[int] = set()
        for flat in np.argsort(-iou, axis=None) if iou.size else []:
            i, j = np.unravel_index(flat, iou.shape)
            if iou[i, j] < 0.5:
                break
            if match[i] < 0 and j not in used:
                match[i], _ = j, used.add(int(j))
        pairs = dets.pairs()
        t = PairTargets.unlabeled(pairs)
        for k, (s, o) in enumerate(pairs):
            labels = None
            if match[s] >= 0 and match[o] >= 0:
                labels = _label_vectors(graph, int(gt.tracks[match[s]]), int(gt.tracks[match[o]]))
            if labels is None:
                t.unmatched[k] = True
            else:
                t.attention[k], t.spatial[k], t.contacting[k] = labels
                t.matched[k] = True
        t.weight[:] = 1.0
        video.targets.append(t)


def truth_view(video: VideoData) -> VideoData:
    """The clip with its truth boxes in place of detections, targets from the truth (PREDCLS-style pairs)."""
    view = VideoData(video.video_id, video.images, video.truth, video.gt_objects, video.gt_objects)
    full_targets(view)
    return view


def _person_and_thing(triplet: Sequence[str]) -> tuple[str, str]:
    """(person class, thing class) of a triplet stored either way round (spatial ones point at the person)."""
    subject, _, obj = triplet
    return (obj, subject) if obj == "person" and subject != "person" else (subject, obj)


def _class_match(dets: FrameObjects, triplet: Sequence[str]) -> tuple[list[int], list[int]]:
    """PLA: the top-scoring person is the subject; every detection of the thing's class is a match."""
    person, thing = _person_and_thing(triplet)
    subs = np.flatnonzero(dets.labels == VOCAB.object_id(person))
    if len(subs):
        subs = subs[[int(np.argmax(dets.scores[subs]))]]
    return [int(i) for i in subs], [int(i) for i in np.flatnonzero(dets.labels == VOCAB.object_id(thing))]


def _ram_match(
    dets: FrameObjects, image: np.ndarray, triplet: Sequence[str], model: GroundingModel, tau_r: float, tau_gs: float,
    stats: dict[str, int],
) -> tuple[list[int], list[int]]:  # fmt: skip
    """RAM for both entities of a triplet (each grounded on its own, paper Fig. 3); class-level fall-back."""
    subject, predicate, obj = triplet
    names = [VOCAB.objects[c] for c in dets.labels]
    fallback = dict(zip(("person", "thing"), _class_match(dets, triplet), strict=True))
    chosen: dict[str, list[int]] = {}
    for role, cls in (("subject", subject), ("object", obj)):
        key = "person" if cls == "person" else "thing"
        cands = np.flatnonzero(dets.labels == VOCAB.object_id(cls))
        ctx = GroundingContext(subject, predicate, obj, role, dets.boxes, names)  # type: ignore[arg-type]
        a = model.attention(image, relation_query(subject, predicate, obj, role), ctx)
        decision, picked = ram_select(a, dets.boxes[cands], float(getattr(model, "stride", 8)), tau_r, tau_gs)
        stats[f"ram_{decision}"] = stats.get(f"ram_{decision}", 0) + 1
        chosen[key] = fallback[key] if decision == "class" else [int(cands[i]) for i in picked]
    return chosen.get("person", []), chosen.get("thing", [])


def weak_targets(
    video: VideoData,
    grounding: GroundingModel | None = None,
    tau_r: float = 0.3,
    tau_gs: float = 0.2,
    alpha: float = 3.0,
) -> None:
    """Middle-frame pseudo labels (class matching, or RAM with ``grounding``) propagated outward.

    Frames reached by propagation get the matched/unmatched partition; ``weight`` = 1/(1+dt)^alpha
    (paper A.2's distance decay, here without the model-based teacher) scales their affinity losses.
    """
    n = len(video.truth)
    mid = middle_frame(n)
    weak = weak_label(video.video_id, video.truth[mid])
    dets = video.detections[mid]
    labels: dict[tuple[int, int], np.ndarray] = {}
    for triplet in weak["triplets"]:
        pid = VOCAB.predicate_id(triplet[1])
        if grounding is None:
            subs, objs = _class_match(dets, triplet)
        else:
            subs, objs = _ram_match(dets, video.images[mid], triplet, grounding, tau_r, tau_gs, video.stats)
        for s in subs:
            for o in objs:
                if dets.labels[s] == PERSON and dets.labels[o] != PERSON:
                    labels.setdefault((s, o), np.zeros(NUM_ATTENTION + NUM_SPATIAL + NUM_CONTACTING, np.float32))[
                        pid
                    ] = 1.0
    per_frame: dict[int, dict[tuple[int, int], np.ndarray]] = {mid: labels}
    for step in (-1, 1):
        current, t = labels, mid
        while current and 0 <= t + step < n:
            nxt = _propagate(video.detections[t], video.detections[t + step], current)
            t += step
            if nxt:
                per_frame[t] = nxt
            current = nxt
    video.targets = []
    for t, frame_dets in enumerate(video.detections):
        tg = PairTargets.unlabeled(frame_dets.pairs())
        if t in per_frame:
            lab = per_frame[t]
            for k, (s, o) in enumerate(tg.pairs):
                vec = lab.get((int(s), int(o)))
                if vec is None:
                    tg.unmatched[k] = True
                    continue
                att = vec[:SPATIAL0]
                tg.attention[k] = att / att.sum() if att.sum() > 0 else 0.0
                tg.spatial[k], tg.contacting[k] = vec[SPATIAL0:CONTACT0], vec[CONTACT0:]
                tg.matched[k] = att.sum() > 0 or vec[SPATIAL0:].sum() > 0
            tg.weight[:] = 1.0 / (1.0 + abs(t - mid)) ** alpha
        video.targets.append(tg)


def _propagate(
    src: FrameObjects, dst: FrameObjects, labels: dict[tuple[int, int], np.ndarray], thr: float = 0.5
) -> dict[tuple[int, int], np.ndarray]:
    """Carry pair labels to the adjacent frame through same-class IoU >= thr detections."""
    involved = sorted({i for pair in labels for i in pair})
    if not involved or not len(dst.labels):
        return {}
    iou = box_iou(src.boxes[involved], dst.boxes) * (src.labels[involved][:, None] == dst.labels[None, :])
    mapping = {}
    for row, i in enumerate(involved):
        j = int(np.argmax(iou[row]))
        if iou[row, j] >= thr:
            mapping[i] = j
    return {(mapping[s], mapping[o]): v for (s, o), v in labels.items() if s in mapping and o in mapping}
