"""Text and region encoders that turn VLM cues into the vectors VOST-SGG consumes.

The paper uses CLIP ViT-B/32 for both (psi_t, psi_v). Encoders are pluggable: :class:`ClipEncoders`
(transformers, imported lazily, for a GPU robot) or the small deterministic pair used on SynthRoom
and in tests: :class:`HashedTextEncoder` (a fixed table of random vectors indexed by a hash of each
word, averaged over the words of a label) and :class:`RegionColorEncoder` (the region resized to a
4x4 colour grid). :func:`encode_cues` packs a cue list into the head's fixed-shape inputs.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from vsgg_ros.graph import Box
from vsgg_ros.heads.vost_cues import Cue


@runtime_checkable
class TextEncoder(Protocol):
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class VisualEncoder(Protocol):
    dim: int

    def encode(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray: ...


def _words(text: str) -> list[str]:
    return [w for w in text.lower().replace("_", " ").replace("/", " ").replace("-", " ").split() if w]


class HashedTextEncoder:
    """Deterministic word-hash embeddings: equal words give equal vectors on every machine."""

    def __init__(self, dim: int = 32, seed: int = 0) -> None:
        if dim < 1:
            raise ValueError(f"text embedding dim must be >= 1, got {dim}")
        self.dim = dim
        self.seed = seed
        self._cache: dict[str, np.ndarray] = {}

    def word(self, word: str) -> np.ndarray:
        vec = self._cache.get(word)
        if vec is None:
            key = zlib.crc32(word.encode("utf-8")) ^ (self.seed * 0x9E3779B1 & 0xFFFFFFFF)
            vec = np.random.default_rng(key).standard_normal(self.dim).astype(np.float32) / np.sqrt(self.dim)
            self._cache[word] = vec
        return vec

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            words = _words(text)
            if words:
                out[i] = np.mean([self.word(w) for w in words], axis=0)
        return out


class RegionColorEncoder:
    """A region's appearance as its 4x4 mean-colour grid in [-0.5, 0.5] (48 numbers)."""

    grid = 4
    dim = 3 * 4 * 4

    def encode(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        import cv2

        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"region encoder needs an HxWx3 image, got shape {image.shape}")
        h, w = image.shape[:2]
        out = np.zeros((len(boxes), self.dim), np.float32)
        for i, (x1, y1, x2, y2) in enumerate(np.asarray(boxes, np.float64).reshape(-1, 4)):
            a, b = int(np.clip(np.floor(x1), 0, w - 1)), int(np.clip(np.ceil(x2), 1, w))
            c, d = int(np.clip(np.floor(y1), 0, h - 1)), int(np.clip(np.ceil(y2), 1, h))
            if b <= a or d <= c:
                continue
            crop = cv2.resize(image[c:d, a:b], (self.grid, self.grid), interpolation=cv2.INTER_AREA)
            out[i] = crop.reshape(-1).astype(np.float32) / 255.0 - 0.5
        return out


class ClipEncoders:
    """CLIP text and image towers via transformers (lazy import; the paper's ViT-B/32 by default).

    Regions are cropped and embedded with the image tower; weights load from a local path or the
    Hugging Face cache, never at import time.
    """

    def __init__(self, model: str = "openai/clip-vit-base-patch32", device: str = "cuda") -> None:
        import torch
        from transformers import CLIPModel, CLIPProcessor

        self._torch = torch
        self.device = device
        self.model: Any = CLIPModel.from_pretrained(model).to(device).eval()
        self.processor: Any = CLIPProcessor.from_pretrained(model)
        self.dim = int(self.model.config.projection_dim)
        self.text = _ClipText(self)
        self.visual = _ClipVisual(self)


class _ClipText:
    def __init__(self, clip: ClipEncoders) -> None:
        self.clip, self.dim = clip, clip.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        batch = self.clip.processor(text=[" ".join(_words(t)) for t in texts], return_tensors="pt", padding=True)
        with self.clip._torch.no_grad():
            feats = self.clip.model.get_text_features(**{k: v.to(self.clip.device) for k, v in batch.items()})
        return feats.float().cpu().numpy()


class _ClipVisual:
    def __init__(self, clip: ClipEncoders) -> None:
        self.clip, self.dim = clip, clip.dim

    def encode(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        crops = []
        for x1, y1, x2, y2 in np.asarray(boxes, np.float64).reshape(-1, 4):
            a, b = int(np.clip(x1, 0, w - 1)), int(np.clip(np.ceil(x2), 1, w))
            c, d = int(np.clip(y1, 0, h - 1)), int(np.clip(np.ceil(y2), 1, h))
            crops.append(image[c : max(d, c + 1), a : max(b, a + 1)])
        if not crops:
            return np.zeros((0, self.dim), np.float32)
        batch = self.clip.processor(images=crops, return_tensors="pt")
        with self.clip._torch.no_grad():
            feats = self.clip.model.get_image_features(pixel_values=batch["pixel_values"].to(self.clip.device))
        return feats.float().cpu().numpy()


@dataclass
class CueArrays:
    """A frame's cues as the head's inputs: K >= 1 rows, ``valid`` 0 on padding rows."""

    text: np.ndarray  # [K, 3, Dt]: subject, object, predicate text embeddings
    visual: np.ndarray  # [K, 3, Dv]: subject, object, union-region embeddings
    boxes: np.ndarray  # [K, 8]: subject xyxy, object xyxy, normalised to [0, 1]
    valid: np.ndarray  # [K]


def union_box(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def encode_cues(
    cues: Sequence[Cue],
    image: np.ndarray,
    text: TextEncoder,
    visual: VisualEncoder,
    min_rows: int = 1,
) -> CueArrays:
    """Embed cues (predicate text = mean over the cue's predicates; boxes divided by image size)."""
    h, w = image.shape[:2]
    k = max(len(cues), min_rows, 1)
    out = CueArrays(
        np.zeros((k, 3, text.dim), np.float32),
        np.zeros((k, 3, visual.dim), np.float32),
        np.zeros((k, 8), np.float32),
        np.zeros(k, np.float32),
    )
    if not cues:
        return out
    n = len(cues)
    labels = text.encode([c.subject for c in cues] + [c.object for c in cues])
    out.text[:n, 0], out.text[:n, 1] = labels[:n], labels[n:]
    for i, cue in enumerate(cues):
        if cue.predicates:
            out.text[i, 2] = text.encode(list(cue.predicates)).mean(axis=0)
    regions = [c.subject_box for c in cues] + [c.object_box for c in cues]
    regions += [union_box(c.subject_box, c.object_box) for c in cues]
    vis = visual.encode(image, np.array(regions, np.float32).reshape(-1, 4))
    out.visual[:n, 0], out.visual[:n, 1], out.visual[:n, 2] = vis[:n], vis[n : 2 * n], vis[2 * n :]
    scale = np.array([w, h, w, h, w, h, w, h], np.float32)
    out.boxes[:n] = np.clip(np.array([(*c.subject_box, *c.object_box) for c in cues], np.float32) / scale, 0, 1)
    out.valid[:n] = 1.0
    return out
