"""`vsgg bench codec`: how the graph codecs compare, measured in one run on this machine.

Each comparison is one section of the result, keyed by name in :data:`SECTIONS`, so further
comparisons are added by registering a function there.
Throughput rounds alternate between the contenders so that load changes on a shared machine hit
both alike; the reported rate uses the median round.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from vsgg_ros.bench.toon_length import toon_vs_json_length
from vsgg_ros.codec.jsoncodec import dumps_graph, loads_graph
from vsgg_ros.codec.wire import decode_graph, encode_graph
from vsgg_ros.graph import ObjectNode, Relation, SceneGraph, TrackState

GOAL_RATIO = 2.0
_LABELS = ("person", "cup", "table", "chair", "laptop", "phone", "book", "bottle", "door", "sofa")
_PREDICATES = ("holding", "looking_at", "in_front_of", "on", "next_to", "sitting_on", "touching")
_GROUPS = ("contacting", "attention", "spatial")

Section = Callable[[float], dict[str, Any]]


def sample_graph(n_objects: int = 20, n_relations: int = 60, seed: int = 0) -> SceneGraph:
    """A realistic per-frame graph (no masks): 640x480 boxes, a few attributes, per-stage latency."""
    rng = random.Random(seed)
    objects = []
    for i in range(n_objects):
        x1, y1 = rng.uniform(0, 560), rng.uniform(0, 400)
        objects.append(
            ObjectNode(
                id=1000 + i,
                label=_LABELS[i % len(_LABELS)],
                box=(x1, y1, x1 + rng.uniform(8, 80), y1 + rng.uniform(8, 80)),
                class_id=i % len(_LABELS),
                score=rng.random(),
                state=TrackState.TRACKED if i % 7 else TrackState.NEW,
                attributes={"color": "red"} if i % 3 == 0 else {},
            )
        )
    relations = [
        Relation(
            subject_id=1000 + rng.randrange(n_objects),
            object_id=1000 + rng.randrange(n_objects),
            predicate=_PREDICATES[k % len(_PREDICATES)],
            predicate_id=k % len(_PREDICATES),
            group=_GROUPS[k % len(_GROUPS)],
            score=rng.random(),
            affinity=rng.random(),
            age_frames=k % 4,
            age_sec=(k % 4) / 30.0,
        )
        for k in range(n_relations)
    ]
    return SceneGraph(
        stamp_ns=1_700_000_000_123_456_789,
        frame_index=4242,
        frame_id="camera_optical",
        source_id="cam1",
        sequence=4242,
        model_id="pals-ag",
        objects=objects,
        relations=relations,
        latency_ms={"decode": 1.7, "track": 12.4, "predict": 31.0, "total": 47.2},
    )


def msgpack_vs_json(seconds: float) -> dict[str, Any]:
    """Graph -> bytes/text -> graph round trips per second: wire msgpack against stdlib json.

    Both sides include the shared dict layout, so the ratio is what a sink/source pair gains.
    """
    graph = sample_graph()
    payload = encode_graph(graph)
    text = dumps_graph(graph)
    if decode_graph(payload) != graph or loads_graph(text) != graph:
        raise RuntimeError("codec round trip changed the benchmark graph")

    def wire_round() -> None:
        decode_graph(encode_graph(graph))

    def json_round() -> None:
        loads_graph(dumps_graph(graph))

    wire_rate, json_rate, rounds = _alternating_rates(wire_round, json_round, seconds)
    ratio = wire_rate / json_rate
    return {
        "graph": {"objects": len(graph.objects), "relations": len(graph.relations), "masks": 0},
        "msgpack_graphs_per_s": round(wire_rate, 1),
        "json_graphs_per_s": round(json_rate, 1),
        "ratio": round(ratio, 3),
        "goal_ratio": GOAL_RATIO,
        "goal_met": ratio >= GOAL_RATIO,
        "msgpack_bytes": len(payload),
        "json_bytes": len(text.encode("utf-8")),
        "rounds": rounds,
    }


def _alternating_rates(a: Callable[[], None], b: Callable[[], None], seconds: float) -> tuple[float, float, int]:
    """Calls per second of ``a`` and ``b`` (median over alternating timed rounds within the budget)."""
    per_round = max(1, _calls_for(a, 0.01))
    a_times: list[float] = []
    b_times: list[float] = []
    deadline = time.perf_counter() + max(seconds, 0.0)
    while not a_times or time.perf_counter() < deadline:
        a_times.append(_timed(a, per_round))
        b_times.append(_timed(b, per_round))
    return per_round / statistics.median(a_times), per_round / statistics.median(b_times), len(a_times)


def _calls_for(fn: Callable[[], None], target_s: float) -> int:
    """How many calls of ``fn`` take about ``target_s`` (one warm-up call first)."""
    fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    return int(target_s / once)


def _timed(fn: Callable[[], None], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return max(time.perf_counter() - start, 1e-9)


# Result sections in output order.
SECTIONS: dict[str, Section] = {
    "msgpack_vs_json": msgpack_vs_json,
    "toon_vs_json_length": toon_vs_json_length,
}


def run_codec_bench(seconds: float = 1.0) -> dict[str, Any]:
    """Run every section; ``seconds`` is each throughput section's time budget."""
    return {name: section(seconds) for name, section in SECTIONS.items()}
