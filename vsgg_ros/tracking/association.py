"""ByteTrack-style association tracker: detections in, tracks with stable, never-reused ids out.

Per frame (ByteTrack, Zhang et al. 2022, without the Kalman filter):

1. every live track predicts its box with a constant-velocity model (velocity = running mean of its
   per-frame box motion), extrapolating across the frames since it was last seen;
2. high-score detections are matched to confirmed tracks (TRACKED or LOST) by IoU with the Hungarian
   method (scipy ``linear_sum_assignment``), gated at ``match_iou``;
3. low-score detections — often occluded objects the detector is unsure of — are matched to the
   confirmed tracks still unmatched that were visible last frame, at the stricter ``low_match_iou``;
4. remaining high-score detections are matched to NEW (unconfirmed) tracks; NEW tracks left unmatched
   are dropped (one-frame false positives never become LOST tracks);
5. remaining detections scoring ``new_track_score`` or more start NEW tracks with the next id.

Unmatched confirmed tracks turn LOST and are removed ``max_lost_frames`` after their last detection.
State is bounded: at most ``max_tracks`` tracks, each with a fixed-length label history; an object
that comes back after removal gets a new id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from vsgg_ros.graph import Frame, Track, TrackState
from vsgg_ros.interfaces import Detection
from vsgg_ros.tracking.boxes import clip_box, iou_matrix
from vsgg_ros.tracking.labels import LabelVote


@dataclass(frozen=True)
class AssociationConfig:
    """Thresholds of the tracker; defaults follow ByteTrack's (IoU gates 0.2 / 0.5, 30-frame buffer).

    ``class_gated``: forbid matching a detection to a track whose smoothed label differs (off by default,
    because a detector that flips cup/bottle would otherwise split the track instead of being outvoted).
    ``max_extrapolate``: frames of motion extrapolated for a LOST track (longer gaps stay put), so a
    long occlusion does not fling the box off screen. ``report_lost``: publish LOST tracks (state LOST,
    last predicted box) until removal.
    """

    high_score: float = 0.5
    low_score: float = 0.1
    new_track_score: float = 0.6
    match_iou: float = 0.2
    low_match_iou: float = 0.5
    new_match_iou: float = 0.3
    confirm_hits: int = 2
    max_lost_frames: int = 30
    max_extrapolate: int = 5
    velocity_momentum: float = 0.6
    label_history: int = 15
    class_gated: bool = False
    max_tracks: int = 256
    report_lost: bool = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.low_score <= self.high_score <= 1.0:
            raise ValueError(f"need 0 <= low_score <= high_score <= 1, got {self.low_score}, {self.high_score}")
        for name in ("match_iou", "low_match_iou", "new_match_iou", "velocity_momentum"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        for name in ("confirm_hits", "label_history", "max_tracks"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.max_lost_frames < 0 or self.max_extrapolate < 0:
            raise ValueError("max_lost_frames and max_extrapolate must be >= 0")


class _Track:
    __slots__ = ("box", "first_frame", "hits", "id", "last_frame", "score", "state", "velocity", "votes")

    def __init__(self, track_id: int, det: Detection, frame_index: int, history: int) -> None:
        self.id = track_id
        self.box = np.asarray(det.box, dtype=np.float64)
        self.velocity = np.zeros(4)
        self.score = det.score
        self.state = TrackState.NEW
        self.first_frame = self.last_frame = frame_index
        self.hits = 1
        self.votes = LabelVote(history)
        self.votes.add(det.label, det.class_id)

    def predict(self, frame_index: int, max_extrapolate: int) -> np.ndarray:
        gap = min(frame_index - self.last_frame, max_extrapolate)
        return self.box + self.velocity * max(gap, 0)

    def update(self, det: Detection, frame_index: int, momentum: float, confirm_hits: int) -> None:
        box = np.asarray(det.box, dtype=np.float64)
        dt = max(frame_index - self.last_frame, 1)
        self.velocity = momentum * self.velocity + (1.0 - momentum) * (box - self.box) / dt
        self.box = box
        self.score = det.score
        self.last_frame = frame_index
        self.hits += 1
        self.votes.add(det.label, det.class_id)
        self.state = TrackState.TRACKED if self.hits >= confirm_hits else TrackState.NEW


class AssociationTracker:
    """Implements :class:`vsgg_ros.interfaces.Tracker` over any :class:`Detector`'s output."""

    def __init__(self, config: AssociationConfig | None = None) -> None:
        self.config = config or AssociationConfig()
        self._tracks: list[_Track] = []
        self._next_id = 1
        self.evicted = 0

    def reset(self) -> None:
        """Forget every track; ids keep increasing so none is ever reused within the process."""
        self._tracks = []

    def __len__(self) -> int:
        return len(self._tracks)

    def step(self, frame: Frame, detections: list[Detection] | None) -> list[Track]:
        cfg, index = self.config, frame.index
        dets = [d for d in detections or [] if d.score >= cfg.low_score]
        high = [d for d in dets if d.score >= cfg.high_score]
        low = [d for d in dets if d.score < cfg.high_score]
        predicted = {t.id: t.predict(index, cfg.max_extrapolate) for t in self._tracks}
        confirmed = [t for t in self._tracks if t.state != TrackState.NEW]
        fresh = [t for t in self._tracks if t.state == TrackState.NEW]

        pairs, confirmed_left, high_left = self._match(confirmed, high, predicted, cfg.match_iou)
        recent = [t for t in confirmed_left if t.state == TrackState.TRACKED]
        low_pairs, recent_left, _ = self._match(recent, low, predicted, cfg.low_match_iou)
        new_pairs, fresh_left, high_left = self._match(fresh, high_left, predicted, cfg.new_match_iou)
        for track, det in pairs + low_pairs + new_pairs:
            track.update(det, index, cfg.velocity_momentum, cfg.confirm_hits)

        unmatched = {t.id for t in confirmed_left if t.state == TrackState.LOST} | {t.id for t in recent_left}
        dropped = {t.id for t in fresh_left}
        kept: list[_Track] = []
        for t in self._tracks:
            if t.id in dropped:
                continue
            if t.id in unmatched:
                t.state = TrackState.LOST
                if index - t.last_frame > cfg.max_lost_frames:
                    continue
            kept.append(t)
        self._tracks = kept
        for det in high_left:
            if det.score >= cfg.new_track_score:
                self._start(det, index)
        return self._publish(frame, predicted)

    def _match(
        self, tracks: list[_Track], dets: list[Detection], predicted: dict[int, np.ndarray], min_iou: float
    ) -> tuple[list[tuple[_Track, Detection]], list[_Track], list[Detection]]:
        """Hungarian matching on 1 - IoU; pairs below ``min_iou`` (or across labels when gated) never match."""
        if not tracks or not dets:
            return [], list(tracks), list(dets)
        iou = iou_matrix(np.stack([predicted[t.id] for t in tracks]), np.array([d.box for d in dets]))
        if self.config.class_gated:
            labels = np.array([t.votes.winner()[0] for t in tracks], dtype=object)
            iou = np.where(labels[:, None] == np.array([d.label for d in dets], dtype=object)[None, :], iou, 0.0)
        allowed = iou >= min_iou
        cost = np.where(allowed, 1.0 - iou, 1e6)
        rows, cols = linear_sum_assignment(cost)
        pairs = [(tracks[r], dets[c]) for r, c in zip(rows, cols, strict=True) if allowed[r, c]]
        used_t = {id(t) for t, _ in pairs}
        used_d = {id(d) for _, d in pairs}
        return pairs, [t for t in tracks if id(t) not in used_t], [d for d in dets if id(d) not in used_d]

    def _start(self, det: Detection, index: int) -> None:
        if len(self._tracks) >= self.config.max_tracks:
            lost = [t for t in self._tracks if t.state == TrackState.LOST]
            if not lost:
                self.evicted += 1
                return
            oldest = min(lost, key=lambda t: t.last_frame)
            self._tracks.remove(oldest)
            self.evicted += 1
        self._tracks.append(_Track(self._next_id, det, index, self.config.label_history))
        self._next_id += 1

    def _publish(self, frame: Frame, predicted: dict[int, np.ndarray]) -> list[Track]:
        out: list[Track] = []
        for t in self._tracks:
            if t.state == TrackState.LOST:
                if not self.config.report_lost:
                    continue
                box = clip_box(predicted[t.id], frame.width, frame.height)
            else:
                box = (float(t.box[0]), float(t.box[1]), float(t.box[2]), float(t.box[3]))
            label, class_id = t.votes.winner()
            out.append(
                Track(
                    track_id=t.id,
                    box=box,
                    label=label,
                    class_id=class_id,
                    score=float(t.score),
                    state=t.state,
                    first_frame=t.first_frame,
                    last_frame=t.last_frame,
                )
            )
        return out
