"""Per-frame pair inputs of the SAGE head, shared by training and run time so both see identical features.

:class:`BoxHistory` keeps the last ``frames`` boxes of each track (tracks unseen for longer are dropped and
the table is capped: bounded state on an endless stream). :func:`pair_inputs` turns a frame's objects into
ordered (subject, object) pairs, their box histories for the motion MLP and the teacher's four sentences.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vsgg_ros.heads.sage_text import describe_pair


@dataclass(frozen=True)
class FrameObject:
    track_id: int
    label: str
    box: tuple[float, float, float, float]


class BoxHistory:
    """Last ``frames`` boxes per track id, oldest first."""

    def __init__(self, frames: int, max_tracks: int = 512) -> None:
        if frames < 1:
            raise ValueError(f"BoxHistory needs frames >= 1, got {frames}")
        self.frames = frames
        self.max_tracks = max_tracks
        self._boxes: dict[int, deque[tuple[int, np.ndarray]]] = {}

    def update(self, index: int, objects: Sequence[FrameObject]) -> None:
        for obj in objects:
            track = self._boxes.setdefault(obj.track_id, deque(maxlen=self.frames))
            if track and track[-1][0] == index:
                track.pop()
            track.append((index, np.asarray(obj.box, np.float32)))
        stale = [t for t, d in self._boxes.items() if index - d[-1][0] >= self.frames]
        for t in stale:
            del self._boxes[t]
        if len(self._boxes) > self.max_tracks:
            for t in sorted(self._boxes, key=lambda t: self._boxes[t][-1][0])[: len(self._boxes) - self.max_tracks]:
                del self._boxes[t]

    def trajectory(self, track_id: int) -> np.ndarray:
        """[frames, 4], oldest first; missing early frames repeat the earliest known box."""
        boxes = [b for _, b in self._boxes[track_id]]
        pad = [boxes[0]] * (self.frames - len(boxes))
        return np.stack(pad + boxes)

    def earliest(self, track_id: int, index: int) -> np.ndarray | None:
        """The oldest kept box if it is from an earlier frame than ``index`` (the teacher's 'before')."""
        first_index, box = self._boxes[track_id][0]
        return box if first_index < index else None

    def __len__(self) -> int:
        return len(self._boxes)


def ordered_pairs(count: int, max_pairs: int) -> np.ndarray:
    """Every ordered (subject, object) index pair, subject-major, cut to ``max_pairs``."""
    pairs = [(s, o) for s in range(count) for o in range(count) if s != o]
    return np.array(pairs[:max_pairs], np.int64).reshape(-1, 2)


def pair_inputs(
    index: int, objects: Sequence[FrameObject], history: BoxHistory, size: tuple[int, int], max_pairs: int
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, str, str, str]]]:
    """(pairs [P, 2], box history [P, K, 8], four teacher sentences per pair); updates ``history`` first."""
    history.update(index, objects)
    pairs = ordered_pairs(len(objects), max_pairs)
    traj = {o.track_id: history.trajectory(o.track_id) for o in objects}
    hist = np.zeros((len(pairs), history.frames, 8), np.float32)
    scene = [o.label for o in objects]
    texts = []
    for k, (s, o) in enumerate(pairs):
        a, b = objects[s], objects[o]
        hist[k] = np.concatenate([traj[a.track_id], traj[b.track_id]], 1)
        before = (history.earliest(a.track_id, index), history.earliest(b.track_id, index))
        texts.append(describe_pair(a.label, b.label, (a.box, b.box), before, scene, size))
    return pairs, hist, texts
