"""The in-process vLLM backend on a real GPU with a local checkpoint (skipped elsewhere)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from vsgg_ros.graph import Frame
from vsgg_ros.vlm.predictor import VlmPredictor
from vsgg_ros.vlm.schema import build_schema
from vsgg_ros.vocab import load_vocabulary

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def checkpoint() -> str:
    pytest.importorskip("vllm", reason="vLLM is installed on GPU machines only")
    path = os.environ.get("VSGG_VLM_CHECKPOINT")
    if not path:
        pytest.skip("set VSGG_VLM_CHECKPOINT to a local VLM checkpoint folder")
    return path


def test_offline_backend_answers_with_vocabulary_objects(checkpoint: str) -> None:
    from vsgg_ros.vlm.backends.offline import VllmOfflineBackend

    backend = VllmOfflineBackend(checkpoint, timeout_s=60)
    try:
        schema = build_schema("closed", load_vocabulary("psg"))
        predictor = VlmPredictor(backend, schema)
        frame = Frame(0, 0, np.full((480, 640, 3), 128, np.uint8))
        predictor.predict(frame, [])
        assert predictor.stats.failures == 0
        objects = predictor.latest_objects()
        assert all(o.label in schema.vocabulary.objects for o in objects)  # type: ignore[union-attr]
    finally:
        backend.close()
