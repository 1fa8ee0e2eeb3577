"""Streaming SAM2 tracker: one image-encoder pass per frame, one ``track_step`` per track on bounded memory.

Per frame: encode the image once; step every live track on its own memory (tracks whose memory covers the
same frames run as one batch); turn mask logits into frame-resolution masks; apply the lifecycle (visible
iff the object score logit is > 0, blow-up guard, LOST, removal); discover new objects from detector boxes
(or a sparse automatic-mask grid) with the rules of :mod:`vsgg_ros.tracking.discovery`; prompt new tracks
and re-anchor drifting or lost ones as conditioning frames; publish :class:`vsgg_ros.graph.Track` s.

Prompted frames follow sam2's offline predictor exactly (predicted without memory, memory encoded from the
low-resolution mask with point-binarisation), and tracked frames call the same ``track_step``, so while a
track has no more prompted frames than ``max_cond_frames`` the masks equal sam2's ``SAM2VideoPredictor``
on the same frames (see tests/test_sam2_equivalence.py). Track ids come from a counter that never goes back.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vsgg_ros.graph import Box, Frame, Mask, Track, TrackState
from vsgg_ros.interfaces import Detection
from vsgg_ros.tracking import discovery
from vsgg_ros.tracking.sam2_config import Sam2TrackerConfig
from vsgg_ros.tracking.sam2_memory import TrackMemory, make_entry, memory_horizon, stack_memories
from vsgg_ros.tracking.sam2_model import autocast, build_sam2_model, preprocess, resolve_device
from vsgg_ros.tracking.sam2_prompts import Prompt, mask_inputs, point_inputs

log = logging.getLogger(__name__)

# sam2 bounds its object-pointer loop by the video length; a stream has none.
STREAM_NUM_FRAMES = 1 << 30
_STAT_KEYS = ("discovered", "matched", "reprompted", "removed", "refused", "breakpoints", "blowups")


@dataclass(slots=True)
class _Features:
    vision: list[Any]
    pos: list[Any]
    sizes: list[tuple[int, int]]

    def expanded(self, batch: int) -> tuple[list[Any], list[Any]]:
        if batch == 1:
            return self.vision, self.pos
        return [v.expand(-1, batch, -1) for v in self.vision], [p.expand(-1, batch, -1) for p in self.pos]


@dataclass(slots=True)
class _Output:
    """One track's prediction on the current frame, before the lifecycle decides what it means."""

    low_res: Any
    score: float
    entry: dict[str, Any]
    cond: bool
    mask: np.ndarray | None = None
    area: int = 0


@dataclass
class _Track:
    track_id: int
    memory: TrackMemory
    label: str
    class_id: int
    created_frame: int
    created_ns: int
    created_t: int
    last_prompt_t: int
    box: Box | None = None
    state: TrackState = TrackState.NEW
    visible_t: int | None = None
    visible_ns: int | None = None
    score: float = 0.0
    mask: Mask | None = None
    first_frame: int = -1
    last_frame: int = -1
    low_res: Any = None
    history: deque[tuple[int, Mask]] = field(default_factory=deque)


@dataclass(slots=True)
class _Request:
    track_id: int
    prompt: Prompt
    label: str = ""
    class_id: int = -1
    new: bool = True


class Sam2StreamTracker:
    """Implements :class:`vsgg_ros.interfaces.Tracker` on a SAM2.1 video model with bounded state."""

    def __init__(self, config: Sam2TrackerConfig | None = None, model: Any | None = None) -> None:
        self.config = config or Sam2TrackerConfig()
        self.model = model if model is not None else build_sam2_model(self.config.model)
        self.device = self.model.device if model is not None else resolve_device(self.config.model.device)
        self.image_size = int(self.model.image_size)
        self.horizon = memory_horizon(
            int(self.model.num_maskmem),
            int(self.model.max_obj_ptrs_in_encoder),
            int(self.model.memory_temporal_stride_for_eval),
            bool(self.model.use_obj_ptrs_in_encoder),
        )
        self._tracks: dict[int, _Track] = {}
        self._pending: list[_Request] = []
        self._next_id = 1
        self._t = 0
        self._pos_enc: list[Any] | None = None
        self._grid: Any = None
        self.stats = dict.fromkeys(_STAT_KEYS, 0)
        if self.config.model.checkpoint is None:
            log.info("sam2 tracker built with random weights (no checkpoint): masks are meaningless")
        if self.config.warmup_frames:
            self.warm_up(self.config.warmup_frames)

    # -- public operations (also the ROS services) ---------------------------------------------------------
    def add_object(
        self,
        *,
        box: Box | None = None,
        points: Sequence[tuple[float, float]] = (),
        point_labels: Sequence[int] = (),
        mask: np.ndarray | None = None,
        label: str = "",
        class_id: int = -1,
    ) -> int:
        """Queue a new object, prompted on the next frame (frame pixels); returns its id right away."""
        if len(self._tracks) + len(self._pending) >= self.config.max_objects:
            raise RuntimeError(f"sam2 tracker is full: max_objects={self.config.max_objects} live or queued")
        prompt = Prompt(box=box, points=tuple(points), point_labels=tuple(point_labels), mask=mask)
        track_id = self._allocate_id()
        self._pending.append(_Request(track_id, prompt, label, class_id))
        return track_id

    def remove_object(self, track_id: int) -> bool:
        """Forget a track (or a queued object) and its memory; False if the id is not live."""
        before = len(self._pending)
        self._pending = [r for r in self._pending if r.track_id != track_id]
        return self._tracks.pop(track_id, None) is not None or len(self._pending) != before

    def reset(self) -> None:
        """Drop every track and queued prompt (a new scene); ids keep increasing."""
        self._tracks.clear()
        self._pending.clear()
        self._t = 0

    def live_ids(self) -> list[int]:
        return sorted(self._tracks)

    def mask_history(self, track_id: int) -> list[tuple[int, Mask]]:
        """The last ``history`` visible (frame index, mask) pairs of a track, oldest first."""
        track = self._tracks.get(track_id)
        if track is None:
            raise KeyError(f"no live sam2 track with id {track_id}")
        return list(track.history)

    def object_score(self, track_id: int) -> float:
        """The latest object-score logit of a track (> 0 means visible)."""
        return self._tracks[track_id].score

    def mask_logits(self, track_id: int, height: int, width: int) -> np.ndarray:
        """The latest mask logits of a track, resized to ``height`` x ``width`` (as sam2 resizes them)."""
        return _upsample(self._tracks[track_id].low_res, height, width)[0, 0].float().cpu().numpy()

    def memory_entries(self) -> int:
        return sum(len(t.memory) for t in self._tracks.values())

    def state_nbytes(self) -> int:
        """Bytes of per-track state: memory banks, last logits and mask histories (grows with tracks only)."""
        total = 0
        for track in self._tracks.values():
            total += track.memory.nbytes()
            if track.low_res is not None:
                total += track.low_res.numel() * track.low_res.element_size()
            total += sum(len(m.counts) for _, m in track.history)
        total += sum(r.prompt.mask.nbytes for r in self._pending if r.prompt.mask is not None)
        return total

    def warm_up(self, frames: int, height: int = 480, width: int = 640) -> None:
        """Run a few frames on a blank image with one box prompt (compiles kernels), then forget them."""
        next_id, stats = self._next_id, dict(self.stats)
        self.reset()
        image = np.full((height, width, 3), 128, dtype=np.uint8)
        self.add_object(box=(width * 0.25, height * 0.25, width * 0.75, height * 0.75))
        for i in range(frames):
            self.step(Frame(index=i, stamp_ns=i, image=image), None)
        self.reset()
        self._next_id, self.stats = next_id, stats

    # -- the per-frame step ----------------------------------------------------------------------------------
    def step(self, frame: Frame, detections: list[Detection] | None) -> list[Track]:
        import torch

        t = self._t
        self._t += 1
        height, width = frame.height, frame.width
        self._drop_unfit_prompts(height, width)
        with torch.inference_mode(), autocast(self.device, self.config.model.dtype):
            features = self._encode(frame.image)
            outputs = self._track_all(t, features)
            self._finish(outputs, height, width)
            requests = self._pending + self._discover(frame, outputs, detections, t)
            self._pending = []
            for request in requests:
                if request.new:
                    self._tracks[request.track_id] = self._new_track(request, frame, t)
                else:
                    self.stats["reprompted"] += 1
                    self._tracks[request.track_id].last_prompt_t = t
                outputs[request.track_id] = self._prompt_step(t, features, request.prompt, height, width)
            self._finish({r.track_id: outputs[r.track_id] for r in requests}, height, width)
        return self._update(frame, t, outputs)

    def _drop_unfit_prompts(self, height: int, width: int) -> None:
        """A queued mask prompt of another size than the frame cannot be applied: log it, count it, drop it."""
        keep = []
        for request in self._pending:
            try:
                request.prompt.check_frame(height, width)
                keep.append(request)
            except ValueError as err:
                log.error("sam2 tracker: dropping object %d: %s", request.track_id, err)
                self.stats["refused"] += 1
        self._pending = keep

    def _encode(self, image: np.ndarray) -> _Features:
        backbone = self.model.forward_image(preprocess(image, self.image_size, self.device))
        _, vision, pos, sizes = self.model._prepare_backbone_features(backbone)
        return _Features(vision, pos, sizes)

    def _track_all(self, t: int, features: _Features) -> dict[int, _Output]:
        groups: dict[object, list[_Track]] = {}
        for track in self._tracks.values():
            key = track.memory.signature() if self.config.batch_objects else track.track_id
            groups.setdefault(key, []).append(track)
        outputs: dict[int, _Output] = {}
        for group in groups.values():
            vision, pos = features.expanded(len(group))
            out = self.model.track_step(
                frame_idx=t,
                is_init_cond_frame=False,
                current_vision_feats=vision,
                current_vision_pos_embeds=pos,
                feat_sizes=features.sizes,
                point_inputs=None,
                mask_inputs=None,
                output_dict=stack_memories([tr.memory for tr in group]),
                num_frames=STREAM_NUM_FRAMES,
                run_mem_encoder=True,
            )
            pos_enc = self._shared_pos_enc(out["maskmem_pos_enc"])
            low_res = self._fill_holes(out["pred_masks"])
            for i, track in enumerate(group):
                outputs[track.track_id] = _Output(
                    low_res=low_res[i : i + 1],
                    score=float(out["object_score_logits"][i].item()),
                    entry=make_entry(out["maskmem_features"], pos_enc, out, i),
                    cond=False,
                )
        return outputs

    def _prompt_step(self, t: int, features: _Features, prompt: Prompt, height: int, width: int) -> _Output:
        """A prompted (conditioning) frame, as sam2's predictor does it: no memory, then encode the mask."""
        import torch.nn.functional as F

        points = masks = None
        if prompt.mask is not None:
            masks = mask_inputs(prompt, self.image_size, self.device)
        else:
            points = point_inputs(prompt, height, width, self.image_size, self.device)
        out = self.model.track_step(
            frame_idx=t,
            is_init_cond_frame=True,
            current_vision_feats=features.vision,
            current_vision_pos_embeds=features.pos,
            feat_sizes=features.sizes,
            point_inputs=points,
            mask_inputs=masks,
            output_dict={"cond_frame_outputs": {}, "non_cond_frame_outputs": {}},
            num_frames=STREAM_NUM_FRAMES,
            run_mem_encoder=False,
        )
        low_res = self._fill_holes(out["pred_masks"])
        high_res = F.interpolate(
            low_res.float(), size=(self.image_size, self.image_size), mode="bilinear", align_corners=False
        )
        features_mem, pos_mem = self.model._encode_new_memory(
            current_vision_feats=features.vision,
            feat_sizes=features.sizes,
            pred_masks_high_res=high_res,
            object_score_logits=out["object_score_logits"],
            is_mask_from_pts=True,
        )
        entry = make_entry(features_mem, self._shared_pos_enc(pos_mem), out, 0)
        return _Output(low_res=low_res, score=float(out["object_score_logits"][0].item()), entry=entry, cond=True)

    def _shared_pos_enc(self, pos_enc: list[Any]) -> list[Any]:
        """The memory positional encoding is the same for every frame and object: keep one copy."""
        if self._pos_enc is None:
            self._pos_enc = [x[0:1].clone() for x in pos_enc]
        return self._pos_enc

    def _fill_holes(self, logits: Any) -> Any:
        if self.model.fill_hole_area > 0:
            from sam2.utils.misc import fill_holes_in_mask_scores

            return fill_holes_in_mask_scores(logits, self.model.fill_hole_area)
        return logits

    def _finish(self, outputs: dict[int, _Output], height: int, width: int) -> None:
        for out in outputs.values():
            mask = (_upsample(out.low_res, height, width)[0, 0] > 0).cpu().numpy()
            out.mask, out.area = mask, int(np.count_nonzero(mask))

    # -- discovery ------------------------------------------------------------------------------------------
    def _discover(
        self, frame: Frame, outputs: dict[int, _Output], detections: list[Detection] | None, t: int
    ) -> list[_Request]:
        shape = (frame.height, frame.width)
        requests: list[_Request] = []
        valid = (d for d in detections or () if d.box[2] > d.box[0] and d.box[3] > d.box[1])
        dets = sorted(valid, key=lambda d: -d.score)
        if dets:
            tracked = {i: discovery.box_mask(b, shape) for i, b in self._regions(outputs, shape).items()}
            candidates = [discovery.box_mask(d.box, shape) for d in dets]
            prompts: list[Prompt | None] = [Prompt(box=d.box) for d in dets]
            requests += self._decide(tracked, candidates, prompts, dets, self.config.detection_gate, t)
        interval = self.config.grid_interval
        if interval and t % interval == 0:
            tracked_masks = {
                i: outputs[i].mask if self._visible(outputs[i], shape) else discovery.box_mask(b, shape)
                for i, b in self._regions(outputs, shape).items()
            }
            masks = self._grid_proposer().propose(frame.image)
            masks = [m for m in masks if m.any()]
            proposals: list[Prompt | None] = [Prompt(mask=m) for m in masks]
            requests += self._decide(tracked_masks, masks, proposals, None, self.config.discovery.tau_detection, t)
        return requests

    def _regions(self, outputs: dict[int, _Output], shape: tuple[int, int]) -> dict[int, Box]:
        """Where each live track is: its current mask's box, or its last box while it is not visible."""
        regions: dict[int, Box] = {}
        for track_id, track in self._tracks.items():
            out = outputs.get(track_id)
            if out is not None and self._visible(out, shape):
                regions[track_id] = _mask_box(out.mask)
            elif track.box is not None:
                regions[track_id] = track.box
        return regions

    def _decide(
        self,
        tracked: dict[int, np.ndarray],
        candidates: list[np.ndarray],
        prompts: list[Prompt | None],
        dets: list[Detection] | None,
        gate: float,
        t: int,
    ) -> list[_Request]:
        shape = candidates[0].shape if candidates else None
        if shape is None:
            return []
        untracked = discovery.untracked_region(list(tracked.values()), shape)
        ratio = discovery.breakpoint_ratio(untracked, discovery.union(candidates, shape))
        if ratio < gate:
            return []
        self.stats["breakpoints"] += 1
        requests: list[_Request] = []
        for decision in discovery.match_candidates(candidates, tracked, self.config.discovery):
            prompt = prompts[decision.candidate]
            det = dets[decision.candidate] if dets is not None else None
            if decision.kind == "new" and prompt is not None:
                if len(self._tracks) + len(self._pending) + sum(r.new for r in requests) >= self.config.max_objects:
                    self.stats["refused"] += 1
                    continue
                label, class_id = (det.label, det.class_id) if det is not None else ("", -1)
                requests.append(_Request(self._allocate_id(), prompt, label, class_id))
                self.stats["discovered"] += 1
            elif decision.kind == "match" and decision.track_id is not None:
                self.stats["matched"] += 1
                request = self._match(decision.track_id, prompt, det, t)
                if request is not None:
                    requests.append(request)
        return requests

    def _match(self, track_id: int, prompt: Prompt | None, det: Detection | None, t: int) -> _Request | None:
        """A candidate continues a track: adopt the detector's label; re-anchor if the track drifted or is lost."""
        track = self._tracks[track_id]
        if det is not None and det.label:
            track.label, track.class_id = det.label, det.class_id
        if prompt is None or t - track.last_prompt_t < self.config.reprompt_gap:
            return None
        drifted = det is not None and (track.box is None or _iou(det.box, track.box) < self.config.reprompt_iou)
        if track.state == TrackState.LOST or drifted:
            return _Request(track_id, prompt, new=False)
        return None

    def _grid_proposer(self) -> Any:
        if self._grid is None:
            from vsgg_ros.tracking.sam2_amg import GridProposer

            self._grid = GridProposer(self.model, points_per_side=self.config.grid_points_per_side)
        return self._grid

    # -- lifecycle and output -------------------------------------------------------------------------------
    def _visible(self, out: _Output, shape: tuple[int, int]) -> bool:
        return out.score > 0 and 0 < out.area <= self.config.max_mask_fraction * shape[0] * shape[1]

    def _new_track(self, request: _Request, frame: Frame, t: int) -> _Track:
        return _Track(
            track_id=request.track_id,
            memory=TrackMemory(self.horizon, self.config.max_cond_frames),
            label=request.label,
            class_id=request.class_id,
            created_frame=frame.index,
            created_ns=frame.stamp_ns,
            created_t=t,
            last_prompt_t=t,
            box=request.prompt.box,
            history=deque(maxlen=self.config.history),
        )

    def _update(self, frame: Frame, t: int, outputs: dict[int, _Output]) -> list[Track]:
        shape = (frame.height, frame.width)
        tracks: list[Track] = []
        for track_id in list(self._tracks):
            track, out = self._tracks[track_id], outputs[track_id]
            blown = out.score > 0 and out.area > self.config.max_mask_fraction * shape[0] * shape[1]
            if blown:
                self.stats["blowups"] += 1
            if not blown or out.cond:
                track.memory.add(t, out.entry, out.cond)
            track.memory.prune(t + 1)
            track.low_res, track.score = out.low_res, out.score
            if self._visible(out, shape):
                assert out.mask is not None
                track.mask = Mask.from_array(out.mask)
                track.box = _mask_box(out.mask)
                track.state = TrackState.NEW if track.first_frame < 0 else TrackState.TRACKED
                track.first_frame = frame.index if track.first_frame < 0 else track.first_frame
                track.last_frame = frame.index
                track.visible_t, track.visible_ns = t, frame.stamp_ns
                track.history.append((frame.index, track.mask))
            else:
                track.mask, track.state = None, TrackState.LOST
                if self._expired(track, frame, t):
                    del self._tracks[track_id]
                    self.stats["removed"] += 1
                    continue
            tracks.append(self._publish(track, frame))
        return tracks

    def _expired(self, track: _Track, frame: Frame, t: int) -> bool:
        since_t = track.visible_t if track.visible_t is not None else track.created_t
        since_ns = track.visible_ns if track.visible_ns is not None else track.created_ns
        frames_limit, sec_limit = self.config.max_lost_frames, self.config.max_lost_sec
        too_many_frames = frames_limit is not None and t - since_t > frames_limit
        too_long = sec_limit is not None and (frame.stamp_ns - since_ns) / 1e9 > sec_limit
        return too_many_frames or too_long

    def _publish(self, track: _Track, frame: Frame) -> Track:
        return Track(
            track_id=track.track_id,
            box=track.box if track.box is not None else (0.0, 0.0, 0.0, 0.0),
            label=track.label,
            class_id=track.class_id,
            score=1.0 / (1.0 + math.exp(-max(min(track.score, 60.0), -60.0))),
            state=track.state,
            mask=track.mask,
            first_frame=track.first_frame if track.first_frame >= 0 else track.created_frame,
            last_frame=track.last_frame if track.last_frame >= 0 else track.created_frame,
        )

    def _allocate_id(self) -> int:
        track_id = self._next_id
        self._next_id += 1
        return track_id


def build_sam2_tracker(config: dict[str, Any] | None = None) -> Sam2StreamTracker:
    """The factory behind ``vsgg run --tracker sam2`` (config: see :mod:`vsgg_ros.tracking.sam2_config`)."""
    return Sam2StreamTracker(Sam2TrackerConfig.from_dict(config))


def _upsample(low_res: Any, height: int, width: int) -> Any:
    import torch.nn.functional as F

    if tuple(low_res.shape[-2:]) == (height, width):
        return low_res.float()
    return F.interpolate(low_res.float(), size=(height, width), mode="bilinear", align_corners=False)


def _mask_box(mask: np.ndarray) -> Box:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return (0.0, 0.0, 0.0, 0.0)
    return (float(cols[0]), float(rows[0]), float(cols[-1] + 1), float(rows[-1] + 1))


def _iou(a: Box, b: Box) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
