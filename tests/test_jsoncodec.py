"""JSON codec: exact round trips, the same structure as the msgpack wire format, strict JSON output."""

from __future__ import annotations

import json
import math

import msgpack
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import scene_graphs

from vsgg_ros.codec import wire
from vsgg_ros.codec.jsoncodec import dumps_graph, graph_from_dict, graph_to_dict, loads_graph
from vsgg_ros.codec.wire import WireFormatError, encode_graph
from vsgg_ros.graph import ObjectNode, Relation, SceneGraph


def _graph(**object_fields: object) -> SceneGraph:
    fields = {"id": 1, "label": "Tisch ☕", "box": (0.0, 0.0, 1.0, 1.0)} | object_fields
    return SceneGraph(
        stamp_ns=12,
        frame_index=0,
        objects=[ObjectNode(**fields)],
        relations=[Relation(subject_id=1, object_id=1, predicate="near")],
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scene_graphs())
def test_json_round_trip_is_exact(graph: SceneGraph) -> None:
    assert loads_graph(dumps_graph(graph)) == graph


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scene_graphs(max_objects=20, max_relations=20))
def test_json_and_msgpack_carry_identical_structures(graph: SceneGraph) -> None:
    assert json.loads(dumps_graph(graph)) == msgpack.unpackb(encode_graph(graph), raw=False)


def test_dict_functions_are_the_wire_layout() -> None:
    assert graph_to_dict is wire.graph_to_dict
    assert graph_from_dict is wire.graph_from_dict


def test_output_is_one_line_of_strict_json_with_utf8_text() -> None:
    text = dumps_graph(_graph(attributes={"note": "line\nbreak"}))
    assert "\n" not in text
    assert "Tisch ☕" in text

    def refuse(token: str) -> None:
        raise AssertionError(f"non-standard JSON token {token}")

    assert json.loads(text, parse_constant=refuse)["schema_version"] == 1


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_non_finite_numbers_are_refused_rather_than_written_as_invalid_json(bad: float) -> None:
    with pytest.raises(WireFormatError, match="cannot be written as JSON"):
        dumps_graph(_graph(score=bad))


def test_numpy_scalars_are_written_as_numbers() -> None:
    text = dumps_graph(_graph(id=np.uint64(2**64 - 1), score=np.float32(0.25)))
    obj = json.loads(text)["objects"][0]
    assert obj["id"] == 2**64 - 1 and obj["score"] == 0.25


def test_unknown_types_are_refused_with_their_name() -> None:
    with pytest.raises(WireFormatError, match="set"):
        dumps_graph(_graph(attributes={"tags": {"a"}}))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not valid JSON"),
        ('{"schema_version": 1,', "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        ("[1, 2]", "expected a map at the top level"),
        ('{"schema_version": 3, "stamp": {"sec": 0, "nanosec": 0}, "frame_index": 0}', "newer"),
        ('{"schema_version": 1, "stamp": {"sec": 0, "nanosec": 0.5}, "frame_index": 0}', "stamp.nanosec"),
        ("[" * 100_000, "not valid JSON"),
    ],
)
def test_bad_json_raises_wire_format_error(text: str | bytes, message: str) -> None:
    with pytest.raises(WireFormatError, match=message):
        loads_graph(text)


def test_loads_accepts_utf8_bytes() -> None:
    graph = _graph()
    assert loads_graph(dumps_graph(graph).encode("utf-8")) == graph
