"""Bounded per-track memory in the layout sam2's ``track_step`` reads.

``SAM2Base._prepare_memory_conditioned_features`` looks memory up purely by frame index in
``{"cond_frame_outputs": {t: out}, "non_cond_frame_outputs": {t: out}}``: every conditioning (prompted)
frame, the previous ``num_maskmem - 1`` frames (every ``r``-th with a temporal stride), and object pointers
of up to ``max_obj_ptrs_in_encoder - 1`` previous frames. Anything older is never read, so keeping only
that horizon is lossless, and capping the prompted frames (the first plus the most recent few) bounds the
rest. Entries hold only what ``track_step`` reads; ``maskmem_features`` are stored in bfloat16 as sam2 does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

Entry = dict[str, Any]


def memory_horizon(num_maskmem: int, max_obj_ptrs_in_encoder: int, stride: int = 1, use_obj_ptrs: bool = True) -> int:
    """How many frames back (t - h) a step at frame t can read non-conditioning memory from."""
    if num_maskmem < 1 or max_obj_ptrs_in_encoder < 1 or stride < 1:
        raise ValueError(
            f"num_maskmem, max_obj_ptrs_in_encoder and stride must be >= 1, "
            f"got {num_maskmem}, {max_obj_ptrs_in_encoder}, {stride}"
        )
    spatial = 1 + (num_maskmem - 2) * stride if num_maskmem >= 2 else 0
    pointers = max_obj_ptrs_in_encoder - 1 if use_obj_ptrs else 0
    return max(spatial, pointers, 1)


def make_entry(maskmem_features: torch.Tensor, maskmem_pos_enc: list[torch.Tensor], out: Entry, i: int) -> Entry:
    """The compact memory of object ``i`` of a (batched) step: what ``track_step`` will read later."""
    import torch

    return {
        "maskmem_features": maskmem_features[i : i + 1].to(torch.bfloat16),
        "maskmem_pos_enc": maskmem_pos_enc,
        "obj_ptr": out["obj_ptr"][i : i + 1],
        "object_score_logits": out["object_score_logits"][i : i + 1],
    }


@dataclass
class TrackMemory:
    """One track's memory bank: capped prompted frames plus a sliding window of recent frames."""

    horizon: int
    max_cond_frames: int
    cond: dict[int, Entry] = field(default_factory=dict)
    non_cond: dict[int, Entry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.horizon < 1:
            raise ValueError(f"memory horizon must be >= 1, got {self.horizon}")
        if self.max_cond_frames < 1:
            raise ValueError(f"max_cond_frames must be >= 1 (the first prompt), got {self.max_cond_frames}")

    def add(self, frame_idx: int, entry: Entry, cond: bool) -> None:
        """Store a frame's memory; a prompted frame replaces any tracked output of the same frame."""
        if cond:
            self.non_cond.pop(frame_idx, None)
            self.cond[frame_idx] = entry
            while len(self.cond) > self.max_cond_frames:
                keys = sorted(self.cond)
                self.cond.pop(keys[1] if len(keys) > 1 else keys[0])
        else:
            self.non_cond[frame_idx] = entry

    def prune(self, next_frame: int) -> None:
        """Drop what a step at ``next_frame`` (or later) can never read."""
        oldest = next_frame - self.horizon
        for t in [t for t in self.non_cond if t < oldest]:
            del self.non_cond[t]

    def output_dict(self) -> dict[str, dict[int, Entry]]:
        return {"cond_frame_outputs": self.cond, "non_cond_frame_outputs": self.non_cond}

    def signature(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Tracks with equal signatures read memory of the same frames, so they can run as one batch."""
        return tuple(sorted(self.cond)), tuple(sorted(self.non_cond))

    def __len__(self) -> int:
        return len(self.cond) + len(self.non_cond)

    def nbytes(self) -> int:
        """Bytes held by this track's entries (the shared positional encoding is not counted)."""
        total = 0
        for entry in (*self.cond.values(), *self.non_cond.values()):
            for key in ("maskmem_features", "obj_ptr", "object_score_logits"):
                tensor = entry[key]
                total += tensor.numel() * tensor.element_size()
        return total


def stack_memories(memories: list[TrackMemory]) -> dict[str, dict[int, Entry]]:
    """One batched ``output_dict`` for tracks with equal signatures (entries concatenated on the batch axis)."""
    import torch

    if len(memories) == 1:
        return memories[0].output_dict()
    batch = len(memories)
    stacked: dict[str, dict[int, Entry]] = {"cond_frame_outputs": {}, "non_cond_frame_outputs": {}}
    for kind, attr in (("cond_frame_outputs", "cond"), ("non_cond_frame_outputs", "non_cond")):
        for t in getattr(memories[0], attr):
            entries = [getattr(m, attr)[t] for m in memories]
            stacked[kind][t] = {
                "maskmem_features": torch.cat([e["maskmem_features"] for e in entries]),
                "maskmem_pos_enc": [x.expand(batch, -1, -1, -1) for x in entries[0]["maskmem_pos_enc"]],
                "obj_ptr": torch.cat([e["obj_ptr"] for e in entries]),
                "object_score_logits": torch.cat([e["object_score_logits"] for e in entries]),
            }
    return stacked
