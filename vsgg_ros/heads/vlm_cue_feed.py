"""The SceneGraphVLM backend as VOST's cue source in streaming mode (paper 001: the VLM proposes, VOST refines).

The VLM is slow (seconds a frame on a robot GPU) and VOST runs every frame, so the VLM answers on its own
thread at its own rate: each frame VOST sees is offered to it, a newer offer replaces an unanswered one
(one pending frame at most: bounded), and VOST's cues are the VLM's newest answer, with the boxes of the
tracks it was asked about, through :class:`~vsgg_ros.heads.vost_cues.LatestGraphCues` (which ignores an
answer older than ``max_age_frames``).
"""

from __future__ import annotations

import logging
import threading

from vsgg_ros.graph import Frame, ObjectNode, SceneGraph, Track
from vsgg_ros.heads.vost_cues import LatestGraphCues
from vsgg_ros.interfaces import Prediction, Predictor

log = logging.getLogger(__name__)


class VlmCueFeed:
    """Runs ``vlm`` in the background on the newest offered frame; ``provider`` serves its latest graph."""

    def __init__(self, vlm: Predictor, max_age_frames: int = 30) -> None:
        self.vlm = vlm
        self.provider = LatestGraphCues(self.latest, max_age_frames)
        self.answered = 0
        self.failed = 0
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending: tuple[Frame, list[Track]] | None = None
        self._latest: SceneGraph | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="vlm-cues", daemon=True)
        self._thread.start()

    def offer(self, frame: Frame, tracks: list[Track]) -> None:
        """Hand the VLM this frame; an unanswered earlier offer is dropped."""
        with self._wake:
            self._pending = (frame, list(tracks))
            self._wake.notify()

    def latest(self) -> SceneGraph | None:
        with self._lock:
            return self._latest

    def close(self, timeout_s: float = 5.0) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()
        self._thread.join(timeout_s)

    def _loop(self) -> None:
        while True:
            with self._wake:
                while self._pending is None and not self._stopped:
                    self._wake.wait()
                if self._stopped:
                    return
                frame, tracks = self._pending  # type: ignore[misc]
                self._pending = None
            try:
                prediction = self.vlm.predict(frame, tracks)
            except Exception:  # a failed VLM call costs this answer only; VOST keeps the previous cues
                log.exception("VLM cue call failed on frame %d", frame.index)
                self.failed += 1
                continue
            graph = answer_graph(frame, tracks, prediction)
            with self._lock:
                self._latest = graph
                self.answered += 1


def answer_graph(frame: Frame, tracks: list[Track], prediction: Prediction) -> SceneGraph:
    """The VLM's relations over the tracks it was shown, with those tracks' boxes (what a cue carries)."""
    return SceneGraph(
        stamp_ns=frame.stamp_ns,
        frame_index=frame.index,
        source_id=frame.source_id,
        objects=[ObjectNode.from_track(t) for t in tracks],
        relations=list(prediction.relations),
    )


class VlmCuedPredictor:
    """VOST (or any predictor reading ``feed.provider``) that offers every frame to the VLM feed first."""

    def __init__(self, head: Predictor, feed: VlmCueFeed) -> None:
        self.head = head
        self.feed = feed
        self.model_id = f"{head.model_id}+{feed.vlm.model_id}"

    def predict(self, frame: Frame, tracks: list[Track]) -> Prediction:
        self.feed.offer(frame, tracks)
        return self.head.predict(frame, tracks)

    def close(self) -> None:
        self.feed.close()
