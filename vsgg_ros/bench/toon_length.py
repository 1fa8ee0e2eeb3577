"""TOON vs compact JSON length for the graphs a SceneGraphVLM emits (goal: TOON ≤ 0.6× the characters).

Both sides carry the same content: SceneGraphVLM's object rows and relation rows (AG: one row per
person–object pair with its attention/spatial/contacting label lists). Graph sizes follow the datasets:
an Action Genome frame has one person and a handful of objects with several labels per pair; a PVSG
frame has more objects and single-predicate relations.
"""

from __future__ import annotations

import json
import random
from typing import Any

from vsgg_ros.codec.toon import ToonSchema, encode_toon, scene_graph_to_toon, toon_json_model
from vsgg_ros.graph import ObjectNode, Relation, SceneGraph
from vsgg_ros.vocab import load_vocabulary

GOAL_RATIO = 0.6


def ag_like_graph(n_objects: int = 8, seed: int = 0) -> SceneGraph:
    """One person and ``n_objects - 1`` objects; per pair 1 attention, 1–3 spatial, 1–2 contacting labels."""
    rng = random.Random(seed)
    vocab = load_vocabulary("ag")
    objects = [ObjectNode(1, "person", (120.0, 40.0, 300.0, 470.0))]
    relations: list[Relation] = []
    for i in range(2, n_objects + 1):
        x, y = rng.uniform(0, 560), rng.uniform(0, 400)
        label = rng.choice(vocab.objects[1:])
        objects.append(ObjectNode(i, label, (x, y, x + rng.uniform(20, 80), y + rng.uniform(20, 80))))
        for group, (lo, hi) in (("attention", (1, 1)), ("spatial", (1, 3)), ("contacting", (1, 2))):
            for predicate in rng.sample(vocab.group_predicates(group), rng.randint(lo, hi)):
                relations.append(Relation(1, i, predicate, vocab.predicate_id(predicate), group))
    return SceneGraph(0, 0, objects=objects, relations=relations)


def pvsg_like_graph(n_objects: int = 15, n_relations: int = 20, seed: int = 0) -> SceneGraph:
    rng = random.Random(seed)
    vocab = load_vocabulary("pvsg")
    objects = []
    for i in range(1, n_objects + 1):
        x, y = rng.uniform(0, 560), rng.uniform(0, 400)
        objects.append(
            ObjectNode(i, rng.choice(vocab.objects), (x, y, x + rng.uniform(20, 80), y + rng.uniform(20, 80)))
        )
    pairs = rng.sample(
        [(s, o) for s in range(1, n_objects + 1) for o in range(1, n_objects + 1) if s != o], n_relations
    )
    relations = [Relation(s, o, rng.choice(vocab.predicates)) for s, o in pairs]
    return SceneGraph(0, 0, objects=objects, relations=relations)


def _compare(graph: SceneGraph, schema: ToonSchema, vocabulary: str) -> dict[str, Any]:
    toon_graph, _ = scene_graph_to_toon(graph, schema, vocabulary=load_vocabulary(vocabulary), image_size=(640, 480))
    toon = encode_toon(toon_graph)
    compact = json.dumps(toon_json_model(toon_graph), separators=(",", ":"), ensure_ascii=False)
    ratio = len(toon) / len(compact)
    return {
        "objects": len(toon_graph.objects),
        "relations": len(toon_graph.relations),
        "toon_chars": len(toon),
        "compact_json_chars": len(compact),
        "ratio": round(ratio, 3),
        "goal_ratio": GOAL_RATIO,
        "goal_met": ratio <= GOAL_RATIO,
    }


def toon_vs_json_length(seconds: float = 0.0) -> dict[str, Any]:
    """Deterministic lengths (``seconds`` is unused: there is nothing to time)."""
    return {
        "action_genome": _compare(ag_like_graph(), ToonSchema.AG, "ag"),
        "pvsg": _compare(pvsg_like_graph(), ToonSchema.GENERIC, "pvsg"),
    }
