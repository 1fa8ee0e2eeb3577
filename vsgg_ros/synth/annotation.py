"""Which person–thing pairs of a video carry relation ground truth (the ``annotation`` policy).

``"all"`` labels every pair in every frame where both are visible. ``"involved"`` follows Action
Genome, whose annotators label only the objects a person's actions involve: a pair is annotated in
every frame where both are visible iff the person interacts with the thing
(:attr:`~vsgg_ros.synth.relations.PairLabels.interactive`) in at least one frame of the video.

Interaction is read from a label-only pre-pass over the same deterministic simulation: the world is
built again from the spec and stepped frame by frame without rasterising, so the set is known before
the first frame is emitted and generation stays a bounded stream (the set holds at most
persons × things pairs). The pre-pass uses world truth, not the image: a contact or gaze focus counts
even in a frame where the thing or the head happens to be occluded, as an annotator who watched the
whole clip would count it.
"""

from __future__ import annotations

from vsgg_ros.synth.activities import advance
from vsgg_ros.synth.compose import build_world
from vsgg_ros.synth.relations import focus, pair_labels
from vsgg_ros.synth.spec import VideoSpec

Pair = tuple[int, int]
FULL_HEAD = 1.0  # the pre-pass judges attention as if the head were always seen


def involved_pairs(spec: VideoSpec) -> frozenset[Pair]:
    """(person id, thing id) pairs interactive in at least one of the spec's frames (world truth)."""
    world = build_world(spec)
    dt = 1.0 / spec.fps
    involved: set[Pair] = set()
    things = list(world.things.values())
    for index in range(spec.frames):
        if index > 0:
            advance(world, dt, index * dt)
        for p in world.persons:
            assert p.joints is not None
            focus_id, angles = focus(p, p.joints, things)
            for thing in things:
                if (p.id, thing.id) in involved:
                    continue
                if pair_labels(p, p.joints, thing, focus_id, angles[thing.id], FULL_HEAD).interactive:
                    involved.add((p.id, thing.id))
    return frozenset(involved)


def annotated_pairs(spec: VideoSpec) -> frozenset[Pair] | None:
    """The pairs that carry relations under ``spec.annotation``; None means every visible pair."""
    if spec.annotation == "all":
        return None
    return involved_pairs(spec)
