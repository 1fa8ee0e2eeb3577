"""End to end on the CPU: a tiny random Qwen2-VL, grammar-constrained by xgrammar, inside the streaming engine.

The model is untrained, so what is checked is the path, not quality: frame -> prompt -> generation ->
strictly valid TOON -> Prediction -> SceneGraph, with the predictor on its own thread at its own rate.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("transformers")
pytest.importorskip("xgrammar")

import toon_format
import torch

from vsgg_ros.bench.synthetic import SyntheticSource
from vsgg_ros.codec.toon import decode_toon, is_strictly_valid
from vsgg_ros.graph import SceneGraph, Vocabulary
from vsgg_ros.pipeline import EngineConfig, Pipeline
from vsgg_ros.vlm.backends import make_backend
from vsgg_ros.vlm.backends.hf import TransformersBackend
from vsgg_ros.vlm.predictor import VlmPredictor
from vsgg_ros.vlm.prompts import VlmRequest, fit_image, user_text
from vsgg_ros.vlm.schema import build_schema

TOY = Vocabulary("toy", ("person", "cup", "table"), ("holding", "on", "next to"))
BUDGET = 28 * 28 * 12


@pytest.fixture(scope="module")
def backend() -> Iterator[TransformersBackend]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the tiny model is overhead-bound; more threads only contend on CI
    yield make_backend("transformers", model="tiny", max_new_tokens=200, do_sample=True, seed=3)  # type: ignore[misc]
    torch.set_num_threads(threads)


def _predictor(backend: TransformersBackend) -> VlmPredictor:
    return VlmPredictor(
        backend, build_schema("closed", TOY), max_pixels=BUDGET, max_objects=3, max_relations=1, ordered_boxes=True
    )


def test_constrained_generation_is_strictly_valid_toon(backend: TransformersBackend) -> None:
    predictor = _predictor(backend)
    frame = next(SyntheticSource(n_frames=1, n_objects=3).frames())
    image = fit_image(frame.image, BUDGET)
    size = (image.shape[1], image.shape[0])
    reply = backend.generate(
        VlmRequest("t", predictor.system, image, user_text(size, None), predictor.grammar_for(size))
    )
    assert reply.finish_reason == "stop"
    assert is_strictly_valid(reply.text, image_size=size, require_answer_tags=True)
    body = reply.text.split("<answer>\n", 1)[1].split("\n</answer>", 1)[0]
    document = toon_format.loads(body)
    assert set(document) == {"obj", "rel"}
    assert {row["name"] for row in document["obj"]} <= {"person", "cup", "table"}
    unconstrained = backend.generate(VlmRequest("u", predictor.system, image, user_text(size, None), None))
    assert not decode_toon(unconstrained.text).strictly_valid  # a random model does not write TOON by itself


def test_async_pipeline_publishes_vlm_graphs_at_the_predictor_rate(backend: TransformersBackend) -> None:
    predictor = _predictor(backend)
    source = SyntheticSource(n_frames=120, n_objects=3, fps=20.0, rate_limited=True)
    graphs: list[SceneGraph] = []
    config = EngineConfig(predictor_mode="async", drop_frames=True)
    stats = Pipeline(source, predictor.tracker(), predictor, [], config).run(graphs.append)
    assert stats["frames_out"] == len(graphs) > 60
    assert 1 <= stats["predictions"] < len(graphs)  # slower than the camera: runs at its own rate
    assert stats["drops"].get("predictor_busy", 0) > 0
    assert predictor.stats.failures == 0 and predictor.stats.not_strict == 0
    with_objects = [g for g in graphs if g.objects]
    assert with_objects, "no VLM answer reached the published graphs"
    for graph in with_objects:
        assert graph.model_id == "tiny-qwen2vl-random"
        assert {o.label for o in graph.objects} <= {"person", "cup", "table"}
        ids = {o.id for o in graph.objects}
        assert all(r.subject_id in ids and r.object_id in ids for r in graph.relations)
        assert all(0 <= o.box[0] < o.box[2] <= 320 and 0 <= o.box[1] < o.box[3] <= 240 for o in graph.objects)
