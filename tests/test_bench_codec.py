"""`vsgg bench codec`: structure and sanity of the result (timing goals are not asserted here)."""

from __future__ import annotations

import json

import pytest

from vsgg_ros.bench.codec import GOAL_RATIO, SECTIONS, run_codec_bench, sample_graph
from vsgg_ros.cli import main
from vsgg_ros.codec.wire import decode_graph, encode_graph


def test_result_structure_and_positive_rates() -> None:
    result = run_codec_bench(seconds=0.05)
    assert list(result) == list(SECTIONS)
    section = result["msgpack_vs_json"]
    assert section["graph"] == {"objects": 20, "relations": 60, "masks": 0}
    assert section["msgpack_graphs_per_s"] > 0 and section["json_graphs_per_s"] > 0
    assert section["ratio"] == pytest.approx(section["msgpack_graphs_per_s"] / section["json_graphs_per_s"], rel=1e-2)
    assert section["goal_ratio"] == GOAL_RATIO == 2.0
    assert section["goal_met"] is (section["ratio"] >= GOAL_RATIO)
    assert 0 < section["msgpack_bytes"] < section["json_bytes"]
    assert section["rounds"] >= 1


def test_zero_budget_still_measures_one_round() -> None:
    section = run_codec_bench(seconds=0.0)["msgpack_vs_json"]
    assert section["rounds"] == 1 and section["msgpack_graphs_per_s"] > 0


def test_sample_graph_is_the_advertised_size_and_round_trips() -> None:
    graph = sample_graph()
    assert (len(graph.objects), len(graph.relations)) == (20, 60)
    assert {r.subject_id for r in graph.relations} <= {o.id for o in graph.objects}
    assert decode_graph(encode_graph(graph)) == graph


def test_cli_prints_the_result_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "codec", "--seconds", "0.02", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["msgpack_vs_json"]["json_graphs_per_s"] > 0


def test_toon_section_compares_the_same_content() -> None:
    from vsgg_ros.codec.toon import ToonSchema, decode_toon
    from vsgg_ros.vocab import load_vocabulary

    section = run_codec_bench(seconds=0.0)["toon_vs_json_length"]
    for name in ("action_genome", "pvsg"):
        entry = section[name]
        assert 0 < entry["toon_chars"] < entry["compact_json_chars"]
        assert entry["ratio"] == pytest.approx(entry["toon_chars"] / entry["compact_json_chars"], abs=1e-3)
        assert entry["goal_met"] is (entry["ratio"] <= 0.6)
    # the measured TOON text is a complete, strictly valid graph, not a truncated one
    from vsgg_ros.bench.toon_length import ag_like_graph
    from vsgg_ros.codec.toon import encode_toon, scene_graph_to_toon

    toon_graph, _ = scene_graph_to_toon(ag_like_graph(), ToonSchema.AG, vocabulary=load_vocabulary("ag"))
    decoded = decode_toon(encode_toon(toon_graph), ToonSchema.AG, vocabulary=load_vocabulary("ag"))
    assert decoded.strictly_valid and len(decoded.objects) == section["action_genome"]["objects"]
