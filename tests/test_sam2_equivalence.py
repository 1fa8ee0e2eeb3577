"""The streaming tracker reproduces sam2's own offline SAM2VideoPredictor (same weights, frames, prompts).

The reference is sam2 1.1.0's public API on a JPEG folder: box prompts, propagation, an object added after
tracking started. To keep the test fast the model reads object pointers from 7 frames back (not 15), so a
10-frame clip is already longer than the memory horizon and our pruned ring buffer is exercised (an
off-by-one in pruning would change frame 9); pruning is lossless by construction, hence equality is
expected. Random weights (a micro architecture at 64 px): the masks mean nothing, but every arithmetic path
is the real one.
Tolerances: unbatched, mask logits within 1e-5 (identical kernels, expected bit-exact); batched, 1e-2
on logits (batched kernels round differently and memory is stored in bfloat16) and binary masks equal
except at pixels whose reference logit is within 1e-2 of the threshold.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs torch (training extra)")
pytest.importorskip("sam2", reason="needs sam2==1.1.0 (the sam2 extra)")
PIL = pytest.importorskip("PIL.Image", reason="needs pillow (a sam2 dependency)")

from vsgg_ros.graph import Frame  # noqa: E402
from vsgg_ros.synth import VideoSpec, iter_video  # noqa: E402
from vsgg_ros.tracking.sam2_config import Sam2TrackerConfig  # noqa: E402
from vsgg_ros.tracking.sam2_model import MICRO_OVERRIDES, Sam2ModelConfig, build_sam2_model  # noqa: E402
from vsgg_ros.tracking.sam2_stream import Sam2StreamTracker  # noqa: E402

MODEL = Sam2ModelConfig(image_size=64, device="cpu", overrides=(*MICRO_OVERRIDES, "++model.max_obj_ptrs_in_encoder=8"))
FRAMES = 10
LATE = 4  # object 3 is prompted on this frame, after tracking started


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """One intra-op thread: on a shared 2-core machine, two spinning threads are several times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("jpeg_clip")
    images, boxes = [], {}
    for frame, graph in iter_video(VideoSpec(frames=FRAMES, size=(128, 96))):
        path = folder / f"{frame.index:05d}.jpg"
        PIL.fromarray(frame.image).save(path, quality=95)
        images.append(np.asarray(PIL.open(path).convert("RGB")))  # the pixels sam2 will read back
        boxes[frame.index] = {o.id: o.box for o in graph.objects}
    prompts = {1: (0, boxes[0][1]), 2: (0, boxes[0][3]), 3: (LATE, boxes[LATE][2])}
    model = build_sam2_model(MODEL)
    return {"folder": str(folder), "images": images, "prompts": prompts, "model": model}


@pytest.fixture(scope="module")
def reference(clip: dict) -> dict:
    """sam2's offline predictor, prompting object 3 only once frames 0..LATE-1 have been tracked."""
    model, prompts = clip["model"], clip["prompts"]
    state = model.init_state(clip["folder"])
    logits: dict[tuple[int, int], np.ndarray] = {}

    def run(start: int, count: int | None) -> None:
        for f, ids, masks in model.propagate_in_video(state, start_frame_idx=start, max_frame_num_to_track=count):
            for k, obj_id in enumerate(ids):
                logits[(f, obj_id)] = masks[k, 0].float().numpy()

    with torch.inference_mode():
        for obj_id, (f, box) in prompts.items():
            if f == 0:
                model.add_new_points_or_box(state, frame_idx=0, obj_id=obj_id, box=box)
        run(0, LATE - 1)
        model.add_new_points_or_box(state, frame_idx=LATE, obj_id=3, box=prompts[3][1])
        run(LATE, None)
    scores = {}
    for obj_id, idx in state["obj_id_to_idx"].items():
        per_obj = state["output_dict_per_obj"][idx]
        for f, out in {**per_obj["non_cond_frame_outputs"], **per_obj["cond_frame_outputs"]}.items():
            scores[(f, obj_id)] = float(out["object_score_logits"].item())
    return {"logits": logits, "scores": scores}


def stream(clip: dict, batch: bool) -> tuple[dict, dict, Sam2StreamTracker]:
    config = Sam2TrackerConfig(
        model=MODEL, batch_objects=batch, max_lost_sec=None, max_mask_fraction=1.0, max_cond_frames=1
    )
    tracker = Sam2StreamTracker(config, model=clip["model"])
    logits, scores = {}, {}
    for i, image in enumerate(clip["images"]):
        for obj_id, (f, box) in clip["prompts"].items():
            if f == i:
                assert tracker.add_object(box=box) == obj_id
        tracker.step(Frame(index=i, stamp_ns=i * 100_000_000, image=image), None)
        for obj_id in tracker.live_ids():
            logits[(i, obj_id)] = tracker.mask_logits(obj_id, 96, 128)
            scores[(i, obj_id)] = tracker.object_score(obj_id)
    return logits, scores, tracker


def test_reference_covers_the_clip_and_the_late_object(reference: dict) -> None:
    keys = set(reference["logits"])
    assert {(f, 1) for f in range(FRAMES)} <= keys
    assert {(f, 3) for f in range(LATE, FRAMES)} <= keys and (LATE - 1, 3) not in keys


def test_unbatched_stream_equals_offline_predictor(clip: dict, reference: dict) -> None:
    logits, scores, tracker = stream(clip, batch=False)
    assert set(logits) == set(reference["logits"])
    worst = max(float(np.abs(logits[k] - reference["logits"][k]).max()) for k in logits)
    assert worst <= 1e-5, worst
    for key in logits:
        assert np.array_equal(logits[key] > 0, reference["logits"][key] > 0), key
        assert scores[key] == pytest.approx(reference["scores"][key], abs=1e-4)
    # The ring buffer really was pruned (frames older than the horizon are gone) and stayed equal.
    assert tracker.horizon == 7
    assert all(len(tracker._tracks[i].memory.non_cond) <= tracker.horizon for i in tracker.live_ids())
    assert min(tracker._tracks[1].memory.non_cond) == FRAMES - tracker.horizon


def test_batched_stream_matches_offline_predictor_within_tolerance(clip: dict, reference: dict) -> None:
    logits, scores, _ = stream(clip, batch=True)
    assert set(logits) == set(reference["logits"])
    for key, ours in logits.items():
        ref = reference["logits"][key]
        assert float(np.abs(ours - ref).max()) <= 1e-2, key
        disagree = (ours > 0) != (ref > 0)
        assert np.all(np.abs(ref[disagree]) <= 1e-2), key
        assert scores[key] == pytest.approx(reference["scores"][key], abs=1e-2)
