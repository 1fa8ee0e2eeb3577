"""SFT data building (BaseAnnot thinning, previous-graph prompts, corruption) and 2-step SFT + GRPO runs on
the tiny random VLM through TRL on the CPU (wiring, not learning)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from vsgg_training.vlm.data import SampleOptions, base_annot, corrupt_graph, make_sample, write_jsonl

from vsgg_ros.codec.toon import decode_toon
from vsgg_ros.graph import ObjectNode, Relation, SceneGraph, Vocabulary
from vsgg_ros.vlm.schema import build_schema

TOY = Vocabulary("toy", ("person", "table", "chair"), ("holding", "on", "near"))


def _graph(index: int, labels: list[str], n_rel: int) -> SceneGraph:
    objects = [ObjectNode(i + 1, label, (10.0 * i, 10.0, 10.0 * i + 8, 30.0)) for i, label in enumerate(labels)]
    relations = [Relation(1, 2, "near")] if n_rel else []
    relations += [Relation(2, 1, "on")] * (n_rel > 1)
    return SceneGraph(index, index, objects=objects, relations=relations)


def test_base_annot_keeps_frames_where_categories_or_relation_counts_change() -> None:
    graphs = [
        _graph(0, ["person", "table"], 1),
        _graph(1, ["person", "table"], 1),  # same: dropped
        _graph(2, ["table", "person"], 1),  # same categories, other order: dropped
        _graph(3, ["person", "table"], 2),  # relation count changed
        _graph(4, ["person", "table", "chair"], 2),  # category added
        _graph(5, ["person", "table", "chair"], 2),
    ]
    assert [g.frame_index for g in base_annot(graphs)] == [0, 3, 4]


def test_samples_carry_resized_targets_and_previous_graphs(tmp_path: Path) -> None:
    schema = build_schema("closed", TOY)
    image = np.zeros((168, 224, 3), np.uint8)
    graph = SceneGraph(
        1, 1, objects=[ObjectNode(1, "person", (20, 20, 60, 100)), ObjectNode(2, "table", (100, 40, 200, 160))]
    )
    graph.relations.append(Relation(1, 2, "near"))
    rng = np.random.default_rng(0)
    options = SampleOptions(max_pixels=112 * 84)
    sample = make_sample(image, graph, graph, schema, tmp_path / "a.png", options, rng)
    assert sample is not None and sample["image_size"] == [112, 84]
    assert sample["solution"].splitlines()[1] == "  1,person,10,10,30,50"  # boxes halved with the image
    user_text = sample["messages"][1]["content"][1]["text"]
    assert "Previous frame scene graph (TOON):\n\nobj[2]" in user_text
    assert sample["messages"][2]["content"][0]["text"] == f"<answer>\n{sample['solution']}\n</answer>"
    assert (tmp_path / "a.png").is_file() and decode_toon(sample["solution"], vocabulary=TOY).strictly_valid
    empty = SceneGraph(2, 2, objects=graph.objects)
    assert make_sample(image, empty, None, schema, tmp_path / "b.png", options, rng) is None  # no relations
    corrupted = corrupt_graph(graph, np.random.default_rng(1), ("chair",))
    assert corrupted != graph and all(r.subject_id in {o.id for o in corrupted.objects} for r in corrupted.relations)


pytest.importorskip("trl")


def test_two_step_sft_and_grpo_complete_on_the_tiny_model(tmp_path: Path) -> None:
    import torch
    from vsgg_training.vlm.trainer import run_grpo, run_sft

    from vsgg_ros.vlm.tiny import build_tiny_vlm

    schema = build_schema("closed", TOY)
    image = np.full((84, 112, 3), 90, np.uint8)
    graph = SceneGraph(
        0, 0, objects=[ObjectNode(1, "person", (10, 10, 40, 70)), ObjectNode(2, "table", (50, 40, 100, 80))]
    )
    graph.relations.append(Relation(1, 2, "near"))
    rng = np.random.default_rng(0)
    options = SampleOptions(max_pixels=112 * 84)
    samples = [
        make_sample(image, graph, graph if i else None, schema, tmp_path / f"{i}.png", options, rng) for i in range(4)
    ]
    data = tmp_path / "train.jsonl"
    assert write_jsonl(samples, data) == 4
    assert json.loads(data.read_text().splitlines()[0])["schema"] == "generic"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        tiny = build_tiny_vlm(0)
        before = [p.detach().clone() for p in tiny.model.parameters()]
        sft = run_sft(tiny.model, tiny.processor, data, tmp_path / "sft", steps=2, seed=0)
        grpo = run_grpo(tiny.model, tiny.processor, data, tmp_path / "grpo", steps=2, seed=0, max_completion=16)
    finally:
        torch.set_num_threads(threads)
    assert sft["steps"] == 2 and np.isfinite(sft["loss"])
    assert any(not torch.equal(a, b) for a, b in zip(before, tiny.model.parameters(), strict=True))  # SFT updated
    assert grpo["steps"] == 2
    assert {f"rewards/{n}_reward/mean" for n in ("format", "relation_recall", "object_hallucination")} <= set(
        grpo["last_rewards"]
    )
