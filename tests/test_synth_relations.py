"""Ground-truth relations of a 20-video SynthRoom world: coverage, balance, agreement with geometry.

Coverage is checked against the predicate list the issue names (golden, not derived from the code);
geometry checks use image boxes and world depths recorded by the generator, compared with plain
arithmetic.
"""

from __future__ import annotations

from collections import Counter

import pytest

from vsgg_ros.synth.relations import PRODUCIBLE, PairLabels
from vsgg_ros.synth.spec import world_specs
from vsgg_ros.synth.video import SynthStep, iter_steps

SIZE = (128, 96)
ISSUE_PREDICATES = {
    "looking_at", "not_looking_at", "unsure",
    "in_front_of", "behind", "on_the_side_of", "above", "beneath", "in",
    "holding", "sitting_on", "touching", "not_contacting", "drinking_from", "carrying",
}  # fmt: skip


@pytest.fixture(scope="module")
def world() -> list[list[SynthStep]]:
    return [list(iter_steps(spec)) for spec in world_specs(20, 30, seed=11, size=SIZE)]


def _pairs(world: list[list[SynthStep]]):
    for video in world:
        for step in video:
            for (pid, oid), labels in step.pairs.items():
                yield step, pid, oid, labels


def test_every_producible_predicate_appears(world: list[list[SynthStep]]) -> None:
    seen = Counter(r.predicate for video in world for step in video for r in step.graph.relations)
    assert ISSUE_PREDICATES <= PRODUCIBLE
    missing = sorted(PRODUCIBLE - set(seen))
    assert not missing, f"never produced in 20 videos: {missing}"


def test_most_pairs_are_non_interactive(world: list[list[SynthStep]]) -> None:
    labels = [lab for *_, lab in _pairs(world)]
    non_interactive = [lab for lab in labels if lab.contacting == ("not_contacting",) and lab.attention != "looking_at"]
    assert len(labels) > 1000
    assert len(non_interactive) / len(labels) >= 0.5
    assert sum(not lab.interactive for lab in labels) == len(non_interactive)


def test_interactive_definition() -> None:
    assert not PairLabels("not_looking_at", ("behind",), ("not_contacting",)).interactive
    assert not PairLabels("unsure", ("behind",), ("not_contacting",)).interactive
    assert PairLabels("looking_at", ("behind",), ("not_contacting",)).interactive
    assert PairLabels("not_looking_at", ("in",), ("holding",)).interactive


def _inside(point: tuple[float, float], box: tuple[float, float, float, float], tol: float) -> bool:
    return box[0] - tol <= point[0] <= box[2] + tol and box[1] - tol <= point[1] <= box[3] + tol


def _near(a: tuple[float, ...], b: tuple[float, ...], tol: float) -> bool:
    return min(a[2], b[2]) >= max(a[0], b[0]) - tol and min(a[3], b[3]) >= max(a[1], b[1]) - tol


def test_relations_agree_with_geometry(world: list[list[SynthStep]]) -> None:
    w, h = SIZE
    checked: Counter[str] = Counter()
    for step, pid, oid, lab in _pairs(world):
        person, obj, body = step.persons[pid], step.entities[oid], step.entities[pid]
        assert obj.box is not None and body.box is not None
        mostly_visible = obj.area >= 0.5 * obj.drawn_px and body.area >= 0.5 * body.drawn_px
        hands = [(min(max(u, 0.0), w - 1.0), min(max(v, 0.0), h - 1.0)) for u, v in person.hands_uv]
        hand_r = 0.5 * person.head_r_px + 1.0
        if mostly_visible:
            if "holding" in lab.contacting:
                checked["holding"] += 1
                assert any(_inside(p, obj.box, 1.0) for p in hands), "holding without a hand on the object"
            for kind in ("touching", "writing_on", "wiping"):
                if kind in lab.contacting:
                    checked[kind] += 1
                    assert any(_inside(p, obj.box, hand_r) for p in hands), f"{kind} without a hand on it"
            if "in" in lab.spatial:
                checked["in"] += 1
                assert _near(obj.box, body.box, person.head_r_px), "'in' object away from the person"
        if "sitting_on" in lab.contacting:
            checked["sitting_on"] += 1
            assert obj.label in ("chair", "sofa/couch")
            assert min(obj.box[2], body.box[2]) > max(obj.box[0], body.box[0]), "not over the seat"
            assert person.pelvis_uv[1] <= obj.box[3], "pelvis below the seat"
        for kind in ("drinking_from", "eating"):
            if kind in lab.contacting:
                checked[kind] += 1
                hu, hv = person.head_uv
                dx = max(obj.box[0] - hu, 0.0, hu - obj.box[2])
                dy = max(obj.box[1] - hv, 0.0, hv - obj.box[3])
                assert (dx * dx + dy * dy) ** 0.5 <= 2.5 * person.head_r_px, f"{kind} away from the mouth"
        if "in_front_of" in lab.spatial:
            checked["in_front_of"] += 1
            assert obj.depth < body.depth
        if "behind" in lab.spatial:
            checked["behind"] += 1
            assert obj.depth > body.depth
        if "above" in lab.spatial:
            checked["above"] += 1
            assert obj.bottom >= body.top - 0.1 - 1e-9
        if "beneath" in lab.spatial:
            checked["beneath"] += 1
            assert obj.surface <= person.pelvis_height + 0.05 + 1e-9
        if lab.attention == "unsure":
            checked["unsure"] += 1
            assert person.head_visible < 0.5 or person.gaze[2] > 0.5, "unsure with a visible face"
        if mostly_visible and lab.attention == "looking_at" and abs(person.gaze[0]) > 0.6:
            checked["looking_at"] += 1
            head_u = person.head_uv[0]
            toward = obj.box[2] > head_u - 1.0 if person.gaze[0] > 0 else obj.box[0] < head_u + 1.0
            assert toward, "looking_at an object wholly on the other side of the gaze"
    for name in ("holding", "sitting_on", "in_front_of", "behind", "above", "beneath", "touching", "unsure"):
        assert checked[name] > 0, f"no {name} pair was checked"


def test_objects_enter_and_leave(world: list[list[SynthStep]]) -> None:
    entering = leaving = 0
    for video in world:
        frames_of: dict[int, list[int]] = {}
        for step in video:
            for o in step.graph.objects:
                frames_of.setdefault(o.id, []).append(step.frame.index)
        last = len(video) - 1
        entering += sum(1 for f in frames_of.values() if f[0] > 0)
        leaving += sum(1 for f in frames_of.values() if f[-1] < last)
    assert entering > 0 and leaving > 0


def test_harder_worlds_are_more_cluttered() -> None:
    def objects_per_frame(difficulty: float) -> float:
        counts = [
            len(step.graph.objects)
            for spec in world_specs(12, 2, seed=4, size=(96, 72), difficulty=difficulty)
            for step in iter_steps(spec)
        ]
        return sum(counts) / len(counts)

    assert objects_per_frame(0.0) < objects_per_frame(1.0)
