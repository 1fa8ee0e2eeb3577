"""The generator: one video as a stream of (Frame, SceneGraph) with exact ground truth.

:func:`iter_video` is what a consumer such as a bag writer needs; :func:`iter_steps` adds the
label map and the per-entity truth (hand points, depths, gaze) that the format writers, the summary
and the tests use. Frame ``i`` is stamped ``round(i * 1e9 / fps)`` ns; track ids are the entity ids,
stable for the whole video, whether or not the entity is visible in a frame. ``spec.annotation``
decides which person–thing pairs carry relations (annotation.py): objects are emitted whatever the
policy, only relations and ``SynthStep.pairs`` are filtered.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from vsgg_ros.graph import Box, Frame, ObjectNode, Relation, SceneGraph, TrackState, Vocabulary
from vsgg_ros.synth.activities import advance
from vsgg_ros.synth.agvocab import ag_vocabulary
from vsgg_ros.synth.annotation import Pair, annotated_pairs
from vsgg_ros.synth.compose import build_world
from vsgg_ros.synth.masks import Instance, instances
from vsgg_ros.synth.person import HAND_L, HAND_R, HEAD, PELVIS, head_radius
from vsgg_ros.synth.relations import PRODUCIBLE, PairLabels, focus, pair_labels, person_top
from vsgg_ros.synth.render import Renderer
from vsgg_ros.synth.spec import VideoSpec
from vsgg_ros.synth.world import World

MIN_VISIBLE_PX = 4
MIN_VISIBLE_FRACTION = 0.1
MODEL_ID = "synthroom-gt"
PredicateIndex = dict[str, tuple[int, str]]


@dataclass(frozen=True)
class EntityTruth:
    """What the generator knows about one entity in one frame.

    ``area`` is the visible pixel count, ``drawn_px`` the count right after the entity was drawn
    (before nearer things covered it); ``depth`` is the world z of its anchor; ``bottom``/``top`` its
    lowest/highest point and ``surface`` the height things rest on (a seat for chairs and sofas).
    ``role`` is "prop" for things a scenario uses, "distractor" for clutter, "actor" for persons.
    """

    id: int
    label: str
    visible: bool
    area: int
    drawn_px: int
    box: Box | None
    depth: float
    mount: str
    bottom: float
    top: float
    surface: float
    role: str


@dataclass(frozen=True)
class PersonTruth:
    """Image and world points of a person used to check relations against geometry."""

    id: int
    head_uv: tuple[float, float]
    hands_uv: tuple[tuple[float, float], tuple[float, float]]
    pelvis_uv: tuple[float, float]
    gaze: tuple[float, float, float]
    head_visible: float
    head_r_px: float
    pelvis_height: float
    pose: str
    seat: int | None
    joints_uv: np.ndarray


@dataclass
class SynthStep:
    """One generated frame with its graph, label map and truth.

    ``pairs`` holds the labels of the annotated pairs only; ``annotated`` is the video's annotated
    pair set under the ``"involved"`` policy and None under ``"all"`` (every visible pair).
    """

    video_id: str
    frame: Frame
    graph: SceneGraph
    label_map: np.ndarray
    entities: dict[int, EntityTruth]
    persons: dict[int, PersonTruth]
    pairs: dict[tuple[int, int], PairLabels]
    annotated: frozenset[Pair] | None = None


def iter_video(spec: VideoSpec) -> Iterator[tuple[Frame, SceneGraph]]:
    """(Frame, SceneGraph) for every frame of the video ``spec`` describes."""
    for step in iter_steps(spec):
        yield step.frame, step.graph


def iter_steps(spec: VideoSpec, world: World | None = None) -> Iterator[SynthStep]:
    """Every frame with full truth; ``world`` may be passed to reuse one already built for ``spec``."""
    world = world if world is not None else build_world(spec)
    renderer = Renderer(world)
    vocab = ag_vocabulary()
    preds = predicate_index(vocab)
    dt = 1.0 / spec.fps
    seen: set[int] = set()
    annotated = annotated_pairs(spec)
    for index in range(spec.frames):
        t = index * dt
        if index > 0:
            advance(world, dt, t)
        yield _frame(spec, world, renderer, vocab, preds, index, t, seen, annotated)


def _frame(
    spec: VideoSpec,
    world: World,
    renderer: Renderer,
    vocab: Vocabulary,
    preds: PredicateIndex,
    index: int,
    t: float,
    seen: set[int],
    annotated: frozenset[Pair] | None,
) -> SynthStep:
    rendered = renderer.render(index, t)
    found = instances(rendered.ids)
    visible = {
        oid: inst
        for oid, inst in found.items()
        if inst.area >= MIN_VISIBLE_PX and inst.area >= MIN_VISIBLE_FRACTION * rendered.drawn_px.get(oid, inst.area)
    }
    stamp = round(index * 1e9 / spec.fps)
    entities = _entity_truth(world, found, visible, rendered.drawn_px)
    nodes = [_node(vocab, world, oid, visible[oid], oid not in seen) for oid in sorted(visible)]
    seen.update(visible)
    pairs: dict[tuple[int, int], PairLabels] = {}
    relations: list[Relation] = []
    persons: dict[int, PersonTruth] = {}
    for p in world.persons:
        assert p.joints is not None
        head_vis = rendered.head_visible.get(p.id, 0.0)
        joints_uv = rendered.camera.project_many(p.joints)
        uv = joints_uv[[HEAD, HAND_L, HAND_R, PELVIS]]
        persons[p.id] = PersonTruth(
            id=p.id,
            head_uv=(float(uv[0, 0]), float(uv[0, 1])),
            hands_uv=((float(uv[1, 0]), float(uv[1, 1])), (float(uv[2, 0]), float(uv[2, 1]))),
            pelvis_uv=(float(uv[3, 0]), float(uv[3, 1])),
            gaze=(float(p.gaze[0]), float(p.gaze[1]), float(p.gaze[2])),
            head_visible=head_vis,
            head_r_px=rendered.camera.scale(float(p.joints[HEAD, 2])) * head_radius(p),
            pelvis_height=float(p.joints[PELVIS, 1]),
            pose=p.pose,
            seat=p.seat,
            joints_uv=joints_uv,
        )
        if p.id not in visible:
            continue
        focus_id, angles = focus(p, p.joints, list(world.things.values()))
        for oid in sorted(visible):
            thing = world.things.get(oid)
            if thing is None or (annotated is not None and (p.id, oid) not in annotated):
                continue
            labels = pair_labels(p, p.joints, thing, focus_id, angles[oid], head_vis)
            pairs[(p.id, oid)] = labels
            relations.extend(_relations(preds, p.id, oid, labels))
    image = rendered.image
    frame = Frame(index=index, stamp_ns=stamp, image=image, frame_id="camera", source_id=spec.video_id)
    graph = SceneGraph(
        stamp_ns=stamp,
        frame_index=index,
        frame_id="camera",
        source_id=spec.video_id,
        sequence=index,
        model_id=MODEL_ID,
        objects=nodes,
        relations=relations,
    )
    label_map = rendered.ids
    hidden = [oid for oid in found if oid not in visible]
    if hidden:
        label_map = label_map.copy()
        label_map[np.isin(label_map, hidden)] = 0
    return SynthStep(spec.video_id, frame, graph, label_map, entities, persons, pairs, annotated)


def _entity_truth(
    world: World, found: dict[int, Instance], visible: dict[int, Instance], drawn: dict[int, int]
) -> dict[int, EntityTruth]:
    out: dict[int, EntityTruth] = {}
    for p in world.persons:
        inst = found.get(p.id)
        out[p.id] = EntityTruth(
            p.id, "person", p.id in visible, inst.area if inst else 0, drawn.get(p.id, 0),
            visible[p.id].box if p.id in visible else None, p.z, "floor", 0.0,
            person_top(p, p.joints) if p.joints is not None else p.height, 0.0, "actor",
        )  # fmt: skip
    for oid, thing in world.things.items():
        inst = found.get(oid)
        out[oid] = EntityTruth(
            oid, thing.label, oid in visible, inst.area if inst else 0, drawn.get(oid, 0),
            visible[oid].box if oid in visible else None, thing.z, thing.mount, thing.y,
            thing.y + thing.dims()[1], thing.top, thing.role,
        )  # fmt: skip
    return out


def _node(vocab: Vocabulary, world: World, oid: int, inst: Instance, first: bool) -> ObjectNode:
    """A visible entity; NEW on the first frame its track is seen, TRACKED afterwards."""
    label = world.things[oid].label if oid in world.things else "person"
    return ObjectNode(
        id=oid,
        label=label,
        box=inst.box,
        class_id=vocab.object_id(label),
        score=1.0,
        state=TrackState.NEW if first else TrackState.TRACKED,
        mask=inst.mask,
    )


def _relations(preds: PredicateIndex, pid: int, oid: int, labels: PairLabels) -> list[Relation]:
    """AG directions: attention and contacting person -> object, spatial object -> person."""
    out = [_rel(preds, pid, oid, labels.attention)]
    out.extend(_rel(preds, oid, pid, s) for s in labels.spatial)
    out.extend(_rel(preds, pid, oid, c) for c in labels.contacting)
    return out


def _rel(preds: PredicateIndex, subject: int, obj: int, predicate: str) -> Relation:
    pid, group = preds[predicate]
    return Relation(subject_id=subject, object_id=obj, predicate=predicate, predicate_id=pid, group=group)


def predicate_index(vocab: Vocabulary) -> PredicateIndex:
    """Predicate -> (id, group) for every predicate the generator can emit; fails loudly on a gap."""
    out = {}
    for predicate in sorted(PRODUCIBLE):
        pid = vocab.predicate_id(predicate)
        if pid < 0:
            raise ValueError(f"predicate {predicate!r} is not in the {vocab.name!r} vocabulary")
        out[predicate] = (pid, vocab.group_of(pid))
    return out
