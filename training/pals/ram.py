"""Relation-Aware Matching (paper §3.3): ground a relation-aware query, score candidates, decide.

A grounding model maps (image, query) to a non-negative attention map A [H_a, W_a]. From A:
reliability r (eq. 1), concentration C and density rho (eq. 2), GS = C * sigmoid(rho). If r > tau_r
the best-GS candidate is the match when GS >= tau_gs, else the triplet is discarded; if r <= tau_r
RAM falls back to class-level matching (every same-class candidate).

Eq. 1 reading (the paper is silent on units): (x_j, y_i) are the image-pixel positions of the map
cells while the normaliser sqrt(H_a^2 + W_a^2) counts cells. With cell units r >= exp(-1/2) for any
map and tau_r = 0.3 could never trigger the fall-back; with pixel units a uniform map gives r ~ 0.1
and a single compact blob r ~ 0.8, which is the behaviour the paper's tau_r sweep implies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

Decision = Literal["grounded", "class", "discard"]
CONTACTS_NEGATIVE = "not_contacting"


@dataclass(frozen=True)
class GroundingContext:
    """What a grounding call is about. ``boxes``/``labels`` are the frame's detections: GroundingDINO
    ignores them; the deterministic stand-in needs them because it cannot detect on its own."""

    subject: str
    predicate: str
    object: str
    role: Literal["subject", "object"]
    boxes: np.ndarray
    labels: Sequence[str]


class GroundingModel(Protocol):
    def attention(self, image: np.ndarray, text: str, context: GroundingContext) -> np.ndarray:
        """Non-negative map [H_a, W_a] over the image for the query's [CLS] token."""
        ...


def relation_query(subject: str, predicate: str, obj: str, role: str) -> str:
    """'cup that the person is holding' for the object, 'person that is holding the cup' for the subject."""
    words = predicate.replace("_", " ")
    s, o = subject.split("/")[0], obj.split("/")[0]
    return f"{o} that the {s} is {words}" if role == "object" else f"{s} that is {words} the {o}"


def reliability(a: np.ndarray, stride: float) -> float:
    """r = exp(-sigma_spat / sqrt(H_a^2 + W_a^2)), sigma_spat in pixels (``stride`` pixels per cell)."""
    h, w = a.shape
    total = float(a.sum())
    if total <= 0:
        return 0.0
    wgt = a / total
    ys, xs = (np.arange(h) + 0.5) * stride, (np.arange(w) + 0.5) * stride
    mx, my = float((wgt.sum(0) * xs).sum()), float((wgt.sum(1) * ys).sum())
    var = float((wgt * ((xs[None, :] - mx) ** 2 + (ys[:, None] - my) ** 2)).sum())
    return float(np.exp(-np.sqrt(var) / np.hypot(h, w)))


def _box_cells(box: Sequence[float], stride: float, shape: tuple[int, int]) -> tuple[slice, slice, float]:
    """Cells whose centres fall inside ``box`` (pixels) and the box area in cell units."""
    h, w = shape
    x1, y1, x2, y2 = (float(v) / stride for v in box)
    cols = slice(max(int(np.ceil(x1 - 0.5)), 0), min(int(np.floor(x2 - 0.5)) + 1, w))
    rows = slice(max(int(np.ceil(y1 - 0.5)), 0), min(int(np.floor(y2 - 0.5)) + 1, h))
    return rows, cols, max((x2 - x1) * (y2 - y1), 1.0)


def grounding_scores(a: np.ndarray, boxes: np.ndarray, stride: float) -> np.ndarray:
    """GS(b) = C(b) * sigmoid(rho(b)) for each box (eq. 2)."""
    total = float(a.sum())
    out = np.zeros(len(boxes))
    if total <= 0:
        return out
    for k, box in enumerate(boxes):
        rows, cols, area = _box_cells(box, stride, a.shape)
        mass = float(a[rows, cols].sum())
        out[k] = (mass / total) * (1.0 / (1.0 + np.exp(-mass / area)))
    return out


def ram_select(
    a: np.ndarray, candidates: np.ndarray, stride: float, tau_r: float = 0.3, tau_gs: float = 0.2
) -> tuple[Decision, list[int]]:
    """Which of the same-class ``candidates`` (boxes, pixels) a triplet entity is matched to."""
    if len(candidates) == 0:
        return "discard", []
    if reliability(a, stride) <= tau_r:
        return "class", list(range(len(candidates)))
    gs = grounding_scores(a, candidates, stride)
    best = int(np.argmax(gs))
    return ("grounded", [best]) if gs[best] >= tau_gs else ("discard", [])


class GeometricGrounding:
    """Deterministic CPU STAND-IN for a grounding model: NOT a vision-language model.

    It parses (subject, predicate, object) from the context, scores each candidate of the target class
    by a geometric relation prior against the other entity's detections (contact = proximity to the
    person, in_front_of = lower box bottom, above = higher, ...; attention predicates carry no evidence
    so every candidate scores alike), and spreads each candidate's score over its box in proportion
    to the image's gradient energy there. Ambiguous queries therefore give spread maps (low r) and
    clear ones a single blob, which is what RAM's reliability test needs to see.
    """

    def __init__(self, stride: int = 8, floor: float = 0.02) -> None:
        self.stride = stride
        self.floor = floor

    def attention(self, image: np.ndarray, text: str, context: GroundingContext) -> np.ndarray:
        h, w = image.shape[0] // self.stride, image.shape[1] // self.stride
        energy = _gradient_energy(image, self.stride, (h, w))
        target = context.object if context.role == "object" else context.subject
        other = context.subject if context.role == "object" else context.object
        labels = list(context.labels)
        cands = [k for k, lab in enumerate(labels) if lab == target]
        anchors = [k for k, lab in enumerate(labels) if lab == other]
        a = np.full((h, w), self.floor / (h * w))
        for k in cands:
            priors = [
                relation_prior(
                    context.predicate,
                    *(
                        (context.boxes[k], context.boxes[j])
                        if target == "person"
                        else (context.boxes[j], context.boxes[k])
                    ),
                )
                for j in anchors
            ]
            prior = max(priors, default=0.5)
            rows, cols, _ = _box_cells(context.boxes[k], self.stride, (h, w))
            patch = energy[rows, cols]
            if patch.size:
                a[rows, cols] += prior * patch / max(float(patch.sum()), 1e-9)
        return a / a.sum()


def _gradient_energy(image: np.ndarray, stride: int, shape: tuple[int, int]) -> np.ndarray:
    grey = image.astype(np.float32).mean(axis=2)
    gx, gy = np.abs(np.diff(grey, axis=1, append=grey[:, -1:])), np.abs(np.diff(grey, axis=0, append=grey[-1:]))
    mag = gx + gy
    h, w = shape
    return mag[: h * stride, : w * stride].reshape(h, stride, w, stride).mean(axis=(1, 3)) + 1e-3


def relation_prior(predicate: str, person: Sequence[float], obj: Sequence[float]) -> float:
    """How well ``obj`` placed against ``person`` fits ``predicate`` from boxes alone, in (0, 1]."""
    px1, py1, px2, py2 = (float(v) for v in person)
    ox1, oy1, ox2, oy2 = (float(v) for v in obj)
    ph = max(py2 - py1, 1.0)
    gap = max(max(ox1 - px2, px1 - ox2, 0.0), max(oy1 - py2, py1 - oy2, 0.0))
    inter = max(min(px2, ox2) - max(px1, ox1), 0.0) * max(min(py2, oy2) - max(py1, oy1), 0.0)
    inside = inter / max((ox2 - ox1) * (oy2 - oy1), 1.0)
    near = max(inside, float(np.exp(-gap / (0.15 * ph))))

    def sig(z: float) -> float:
        return float(1.0 / (1.0 + np.exp(-z)))

    if predicate in ("looking_at", "not_looking_at", "unsure"):
        return 0.5
    if predicate == CONTACTS_NEGATIVE:
        return 1.0 - 0.9 * near
    if predicate == "in":
        return 0.05 + 0.95 * inside
    if predicate == "in_front_of":
        return sig((oy2 - py2) / (0.05 * ph))
    if predicate == "behind":
        return sig((py2 - oy2) / (0.05 * ph))
    if predicate == "above":
        return sig((py1 + 0.2 * ph - oy2) / (0.05 * ph))
    if predicate == "beneath":
        return sig((oy1 - (py1 + 0.5 * ph)) / (0.05 * ph)) * (0.2 + 0.8 * near)
    if predicate == "on_the_side_of":
        return 1.0 - 0.9 * inside
    return 0.05 + 0.95 * near


class GroundingDinoAttention:
    """GroundingDINO through Hugging Face transformers (GPU workstation; never run on this CPU machine).

    Returns the image-token attention to the [CLS] text token from the last feature-enhancer fusion
    layer (``encoder_attentions[0][-1]``: vision-to-text attention, averaged over heads), on the first
    (stride-8) feature level. Weights are downloaded by transformers from ``model_id`` on first use.
    """

    def __init__(self, model_id: str = "IDEA-Research/grounding-dino-base", device: str = "cuda") -> None:
        from transformers import AutoModelForZeroShotObjectDetection, AutoProcessor

        self.processor = AutoProcessor.from_pretrained(model_id)
        self.model = AutoModelForZeroShotObjectDetection.from_pretrained(model_id).to(device).eval()
        self.device = device
        self.stride = 8

    def attention(self, image: np.ndarray, text: str, context: GroundingContext) -> np.ndarray:
        import torch

        inputs = self.processor(images=image, text=text.lower().rstrip(".") + ".", return_tensors="pt").to(self.device)
        with torch.no_grad():
            out = self.model(**inputs, output_attentions=True)
        fused_vision = out.encoder_attentions[0][-1]  # [1, heads, vision tokens, text tokens]
        hp, wp = inputs["pixel_values"].shape[-2:]
        h0, w0 = -(-int(hp) // 8), -(-int(wp) // 8)
        cls = fused_vision[0, :, : h0 * w0, 0].mean(0).reshape(h0, w0).float().cpu().numpy()
        scale_y, scale_x = image.shape[0] / float(hp), image.shape[1] / float(wp)
        self.stride = 8 * float(np.sqrt(scale_x * scale_y))
        return np.clip(cls, 0.0, None)
