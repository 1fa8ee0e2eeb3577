"""VOST-SGG relation head at run time: one call per frame, a bounded buffer of reference-frame triplets.

The exported graph (models/vost-synth/, docs/vost.md) takes the frame, the frame's VLM cues (already
embedded) and the triplet representations of up to ``ref_frames`` earlier frames; it returns N
triplet queries (subject/object class probabilities and boxes, 26 predicate scores) and this frame's
triplets for the buffer. :class:`VostStream` owns that buffer and the cue encoding; with a tracker,
:func:`map_to_tracks` assigns queries to (subject track, object track) pairs by Hungarian matching on
box IoU; :class:`VostPredictor` wraps both as a :class:`~vsgg_ros.interfaces.Predictor`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vsgg_ros.graph import Frame, ObjectNode, Relation, SceneGraph, Track
from vsgg_ros.heads.vost_cues import Cue, CueProvider, NoCues, top_cues
from vsgg_ros.heads.vost_encoders import HashedTextEncoder, RegionColorEncoder, TextEncoder, VisualEncoder, encode_cues
from vsgg_ros.interfaces import Prediction
from vsgg_ros.vocab import load_vocabulary

MODEL_ID = "vost-synth"
INPUTS = ("image", "cue_text", "cue_visual", "cue_boxes", "cue_valid", "ref_tri", "ref_valid")
OUTPUTS = ("sub_probs", "obj_probs", "sub_boxes", "obj_boxes", "predicates", "tri")
Runner = Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]
VOCAB = load_vocabulary("ag")
PERSON = VOCAB.object_id("person")


@dataclass(frozen=True)
class StreamShape:
    """What the graph expects, read from io_spec.json (or a training config)."""

    image_size: tuple[int, int]
    queries: int
    ref_frames: int
    tri_dim: int
    text_dim: int
    visual_dim: int
    max_cues: int

    @classmethod
    def from_spec(cls, spec: dict) -> StreamShape:
        shapes = {i["name"]: i["shape"] for i in spec["inputs"]}
        return cls(
            tuple(int(v) for v in spec["image_size"]),  # type: ignore[arg-type]
            int(shapes["ref_tri"][1]),
            int(spec["ref_frames"]),
            int(shapes["ref_tri"][2]),
            int(shapes["cue_text"][2]),
            int(shapes["cue_visual"][2]),
            int(spec["dynamic_axes"]["num_cues"][2]),
        )


class VostStream:
    """Per-frame driver: embeds cues, feeds the reference buffer (at most ``ref_frames`` entries), runs."""

    def __init__(self, run: Runner, shape: StreamShape, text: TextEncoder, visual: VisualEncoder) -> None:
        if text.dim != shape.text_dim or visual.dim != shape.visual_dim:
            raise ValueError(
                f"encoders give text {text.dim}-d / visual {visual.dim}-d vectors; the head expects "
                f"{shape.text_dim}-d / {shape.visual_dim}-d"
            )
        self.run, self.shape, self.text, self.visual = run, shape, text, visual
        self.refs: deque[np.ndarray] = deque(maxlen=shape.ref_frames)

    def reset(self) -> None:
        self.refs.clear()

    def inputs(self, image: np.ndarray, cues: list[Cue]) -> dict[str, np.ndarray]:
        import cv2

        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"VOST-SGG needs an HxWx3 RGB image, got shape {image.shape}")
        arrays = encode_cues(
            top_cues(cues, min(self.shape.queries, self.shape.max_cues)), image, self.text, self.visual
        )
        w, h = self.shape.image_size
        small = image if image.shape[:2] == (h, w) else cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
        r, n, d = self.shape.ref_frames, self.shape.queries, self.shape.tri_dim
        ref_tri = np.zeros((r, n, d), np.float32)
        ref_valid = np.zeros(r, np.float32)
        for slot, tri in zip(range(r - len(self.refs), r), self.refs, strict=True):
            ref_tri[slot], ref_valid[slot] = tri, 1.0
        return {
            "image": np.ascontiguousarray(small[None]),
            "cue_text": arrays.text,
            "cue_visual": arrays.visual,
            "cue_boxes": arrays.boxes,
            "cue_valid": arrays.valid,
            "ref_tri": ref_tri,
            "ref_valid": ref_valid,
        }

    def step(self, image: np.ndarray, cues: list[Cue]) -> dict[str, np.ndarray]:
        """Run one frame; boxes come back in the input image's pixels."""
        out = dict(self.run(self.inputs(image, cues)))
        self.refs.append(np.array(out["tri"], np.float32))
        h, w = image.shape[:2]
        scale = np.array([w, h, w, h], np.float32)
        out["sub_boxes"] = out["sub_boxes"] * scale
        out["obj_boxes"] = out["obj_boxes"] * scale
        return out


def query_confidence(out: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per query: subject class/score and object class/score (argmax over real classes, no-object excluded)."""
    sub, obj = out["sub_probs"][:, :-1], out["obj_probs"][:, :-1]
    sc, oc = sub.argmax(1), obj.argmax(1)
    rows = np.arange(len(sc))
    return sc, sub[rows, sc], oc, obj[rows, oc]


def own_graph(
    out: dict[str, np.ndarray], frame_index: int, source_id: str = "camera", stamp_ns: int = 0
) -> tuple[SceneGraph, dict[tuple[int, int], np.ndarray]]:
    """The head's own detections (no tracker): query q's subject is node 2q, its object node 2q+1."""
    sc, ss, oc, os_ = query_confidence(out)
    nodes, dists = [], {}
    for q in range(len(sc)):
        for node_id, c, s, box in (
            (2 * q, sc[q], ss[q], out["sub_boxes"][q]),
            (2 * q + 1, oc[q], os_[q], out["obj_boxes"][q]),
        ):
            nodes.append(ObjectNode(node_id, VOCAB.objects[int(c)], tuple(float(v) for v in box), int(c), float(s)))  # type: ignore[arg-type]
        dists[(2 * q, 2 * q + 1)] = out["predicates"][q].astype(np.float64)
    graph = SceneGraph(stamp_ns=stamp_ns, frame_index=frame_index, source_id=source_id, objects=nodes)
    return graph, dists


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Continuous IoU of xyxy boxes [N, 4] x [M, 4]."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area_a = np.clip(a[:, 2:] - a[:, :2], 0, None).prod(-1)
    area_b = np.clip(b[:, 2:] - b[:, :2], 0, None).prod(-1)
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def map_to_tracks(
    out: dict[str, np.ndarray], tracks: list[Track], candidate_pairs: list[tuple[int, int]], min_iou: float = 0.3
) -> dict[tuple[int, int], np.ndarray]:
    """Assign queries one-to-one to (subject, object) track pairs (Hungarian on mean box IoU).

    A pair keeps the query's 26 predicate scores times the query's subject and object confidence;
    matches whose subject or object IoU is below ``min_iou`` are dropped.
    """
    from scipy.optimize import linear_sum_assignment

    if not candidate_pairs or len(out["predicates"]) == 0:
        return {}
    boxes = np.array([t.box for t in tracks], np.float32).reshape(-1, 4)
    iou_s = box_iou(out["sub_boxes"], boxes)
    iou_o = box_iou(out["obj_boxes"], boxes)
    s_idx = np.array([s for s, _ in candidate_pairs])
    o_idx = np.array([o for _, o in candidate_pairs])
    pair_s, pair_o = iou_s[:, s_idx], iou_o[:, o_idx]
    rows, cols = linear_sum_assignment(-(pair_s + pair_o) / 2)
    _, ss, _, os_ = query_confidence(out)
    result = {}
    for q, p in zip(rows, cols, strict=True):
        if min(pair_s[q, p], pair_o[q, p]) < min_iou:
            continue
        key = (tracks[s_idx[p]].track_id, tracks[o_idx[p]].track_id)
        result[key] = (out["predicates"][q] * ss[q] * os_[q]).astype(np.float64)
    return result


class VostPredictor:
    """The Predictor protocol over a VOST-SGG export folder, driven by HeadRuntime.

    ``cues`` supplies the VLM cues per frame (default: none, the instance-agnostic setting); the text
    and visual encoders default to the deterministic pair the synth model was trained with.
    """

    model_id = MODEL_ID

    def __init__(
        self,
        folder: Path | str,
        backend: str = "ort-cpu",
        cues: CueProvider | None = None,
        text: TextEncoder | None = None,
        visual: VisualEncoder | None = None,
        threshold: float = 0.5,
        min_iou: float = 0.3,
        threads: int | None = 1,
    ) -> None:
        from vsgg_ros.heads.runtime import HeadRuntime

        self.folder = Path(folder)
        self.runtime = HeadRuntime.load(self.folder, backend, threads=threads)
        spec = self.runtime.io_spec
        if spec.get("head") != "vost":
            raise ValueError(f"{self.folder / 'io_spec.json'} describes head {spec.get('head')!r}, not 'vost'")
        shape = StreamShape.from_spec(spec)
        text = text or HashedTextEncoder(shape.text_dim, int(spec.get("text_encoder_seed", 0)))
        visual = visual or RegionColorEncoder()
        self.stream = VostStream(self.runtime.run, shape, text, visual)
        self.cues = cues or NoCues()
        self.threshold = threshold
        self.min_iou = min_iou

    def reset(self) -> None:
        self.stream.reset()

    def predict(self, frame: Frame, tracks: list[Track]) -> Prediction:
        pred = Prediction(frame_index=frame.index, stamp_ns=frame.stamp_ns)
        out = self.stream.step(frame.image, self.cues.cues(frame))
        persons = [i for i, t in enumerate(tracks) if _is_person(t)]
        pairs = [(s, o) for s in persons for o in range(len(tracks)) if o != s and not _is_person(tracks[o])]
        pred.distributions = map_to_tracks(out, tracks, pairs, self.min_iou)
        for key, vec in pred.distributions.items():
            pred.relations.extend(self._relations(key, vec))
        return pred

    def _relations(self, key: tuple[int, int], vec: np.ndarray) -> list[Relation]:
        """Top attention; spatial and contacting above ``threshold`` (at least the top one); spatial reversed."""
        rels = []
        for group in VOCAB.groups:
            part = vec[group.start : group.stop]
            picks = [int(np.argmax(part))]
            if group.name != "attention":
                picks += [int(i) for i in np.flatnonzero(part >= self.threshold) if i != picks[0]]
            for i in picks:
                pid = group.start + i
                s, o = key if group.name != "spatial" else (key[1], key[0])
                rels.append(Relation(s, o, VOCAB.predicates[pid], pid, group.name, float(part[i])))
        return rels


def _is_person(track: Track) -> bool:
    cid = VOCAB.object_id(track.label) if track.label else track.class_id
    return cid == PERSON
