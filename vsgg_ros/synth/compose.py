"""Builds the world of one video from its spec: room, persons, scenario props, clutter."""

from __future__ import annotations

from vsgg_ros.synth.activities import settle
from vsgg_ros.synth.scenarios import SCENARIOS, SECONDARY, idle_tail, scenario_for
from vsgg_ros.synth.spec import VideoSpec
from vsgg_ros.synth.world import Layout, World, add_distractors, add_foreground_occluder, sample_room


def build_world(spec: VideoSpec) -> World:
    """Deterministic in ``spec``; person 1 plays the video's scenario, an optional person 2 a side story."""
    rng = spec.rng("layout")
    params = spec.params
    light = 1.0 + float(rng.uniform(-params.light_jitter, params.light_jitter))
    layout = Layout(spec, rng, sample_room(rng, light), light)
    name = scenario_for(spec.seed, spec.index)
    main = layout.person(0.0, 3.0, 0.0)
    second = layout.person(0.0, 4.0, 0.0) if rng.random() < params.second_person_prob else None
    seconds = spec.frames / spec.fps + 1.0
    main.script = idle_tail(layout, main, SCENARIOS[name](layout, main), seconds).steps
    if second is not None:
        names = list(SECONDARY)
        side = SECONDARY[names[int(rng.integers(0, len(names)))]]
        second.script = idle_tail(layout, second, side(layout, second), seconds).steps
    if rng.random() < params.foreground_occluder_prob:
        add_foreground_occluder(layout)
    add_distractors(layout, int(rng.integers(params.min_objects, params.max_objects + 1)))
    world = World(spec, layout.room, layout.things, layout.persons, name, light)
    settle(world)
    return world
