"""VOST-SGG training pieces on hand-made inputs: deep supervision, reference boxes, cue dropout, config checks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from vsgg_training.vost.config import LossConfig, NoiseConfig, TrainConfig, model_config_from_dict, tiny  # noqa: E402
from vsgg_training.vost.data import GtPair  # noqa: E402
from vsgg_training.vost.losses import FrameTargets, deep_set_loss, set_loss  # noqa: E402
from vsgg_training.vost.model import VostSGG  # noqa: E402
from vsgg_training.vost.train import training_cues  # noqa: E402


def _perfect_output() -> tuple[dict[str, torch.Tensor], FrameTargets]:
    """Two queries: query 0 exactly equals the single GT pair (person -> class 7), query 1 says no-object."""
    sub = torch.full((1, 2, 37), -20.0)
    obj = sub.clone()
    sub[0, 0, 0] = obj[0, 0, 7] = 20.0
    sub[0, 1, 36] = obj[0, 1, 36] = 20.0
    box = torch.tensor([[0.3, 0.4, 0.2, 0.5], [0.7, 0.7, 0.1, 0.1]])
    preds = torch.full((1, 2, 26), -20.0)
    preds[0, 0, 1] = preds[0, 0, 17] = 20.0
    out = {"sub_logits": sub, "obj_logits": obj, "sub_boxes": box[None], "obj_boxes": box[None].clone(),
           "pred_logits": preds}  # fmt: skip
    multi_hot = torch.zeros(1, 26)
    multi_hot[0, [1, 17]] = 1.0
    tgt = FrameTargets(torch.tensor([0]), torch.tensor([7]), box[:1], box[:1], multi_hot)
    return out, tgt


def test_set_loss_is_zero_for_a_perfect_prediction() -> None:
    out, tgt = _perfect_output()
    losses = set_loss(out, [tgt], LossConfig())
    # identical boxes: L1 0 and GIoU 1; logits of +-20 give cross-entropy and focal terms of ~e-9
    assert float(losses["l1"]) == pytest.approx(0.0, abs=1e-6)
    assert float(losses["giou"]) == pytest.approx(0.0, abs=1e-6)
    assert float(losses["total"]) == pytest.approx(0.0, abs=1e-5)


def test_set_loss_penalises_a_shifted_box_by_l1_and_giou() -> None:
    out, tgt = _perfect_output()
    out["obj_boxes"][0, 0, 0] += 0.2  # object box moved right by its own width: IoU 0, hull 2 widths, GIoU 0
    losses = set_loss(out, [tgt], LossConfig())
    assert float(losses["l1"]) == pytest.approx(5.0 * 0.2, abs=1e-5)
    assert float(losses["giou"]) == pytest.approx(2.0 * 1.0, abs=1e-5)


def test_deep_set_loss_adds_each_depth_matched_on_its_own() -> None:
    good, tgt = _perfect_output()
    bad = {k: v.clone() for k, v in good.items()}
    bad["sub_boxes"] = bad["sub_boxes"].flip(1)  # queries swap boxes: matching still finds the right one by box
    bad["sub_boxes"][0, :, 2:] *= 0.5  # and the box is half as large: (1 - IoU 0.25) loss
    single = set_loss(bad, [tgt], LossConfig())
    deep = deep_set_loss([bad, good], [tgt], LossConfig())
    assert float(deep["aux"]) == pytest.approx(float(single["total"]), rel=1e-6)
    assert float(deep["total"]) == pytest.approx(float(single["total"]), rel=1e-4)  # good adds ~0
    assert float(deep["giou"]) == pytest.approx(0.0, abs=1e-6)  # reported terms are the final depth's
    with pytest.raises(ValueError, match="at least the final output"):
        deep_set_loss([], [tgt], LossConfig())


def test_box_heads_start_on_the_learned_reference_boxes() -> None:
    torch.manual_seed(0)
    cfg = tiny(d_model=8, heads=2, ffn=8, queries=5)
    model = VostSGG(cfg)
    for head in (model.sub_box, model.obj_box):
        torch.nn.init.zeros_(head[-1].weight)
        torch.nn.init.zeros_(head[-1].bias)
    with torch.no_grad():
        out = model.heads(torch.randn(1, 5, 16))
    assert torch.allclose(out["sub_boxes"][0], torch.sigmoid(model.sub_ref), atol=1e-6)
    assert float(out["obj_boxes"][0, :, 2:].min()) == pytest.approx(0.15, abs=1e-5)  # initial width/height
    plain = VostSGG(dataclasses.replace(cfg, ref_boxes=False))
    for head in (plain.sub_box,):
        torch.nn.init.zeros_(head[-1].weight)
        torch.nn.init.zeros_(head[-1].bias)
    assert torch.allclose(plain.heads(torch.randn(1, 5, 16))["sub_boxes"], torch.full((1, 5, 4), 0.5))


def test_frame_layers_give_one_output_per_depth_and_the_last_is_the_frame() -> None:
    torch.manual_seed(0)
    model = VostSGG(tiny(d_model=8, heads=2, ffn=8, queries=3, so_layers=1, predicate_layers=3)).eval()
    w, h = model.cfg.image_size
    args = (
        torch.randint(0, 256, (1, h, w, 3), dtype=torch.uint8),
        torch.randn(1, 2, 3, 32),
        torch.randn(1, 2, 3, 48),
        torch.rand(1, 2, 8),
        torch.ones(1, 2),
    )
    with torch.no_grad():
        layers = model.frame_layers(*args)
        final = model.frame_forward(*args)
    assert len(layers) == 3 and torch.equal(layers[-1], final)
    # one subject-object layer: every depth reuses its output; the predicate halves differ per layer
    assert torch.equal(layers[0][..., :8], layers[2][..., :8])
    assert not torch.allclose(layers[0][..., 8:], layers[2][..., 8:])


PAIRS = [GtPair(0, 7, (0, 0, 10, 10), (5, 5, 9, 9), (1, 17)), GtPair(0, 9, (0, 0, 10, 10), (1, 1, 3, 3), (2,))]
CLEAN = NoiseConfig(missing=0.0, wrong_object=0.0, wrong_predicate=0.0, spurious=0.0, box_jitter=0.0)


def test_cue_dropout_removes_cues_per_clip_and_per_pair() -> None:
    rng = np.random.default_rng(0)
    keep_all = TrainConfig(noise=CLEAN)
    cues = training_cues(PAIRS, rng, keep_all, clip_has_cues=True)
    assert sorted((c.object, c.predicates) for c in cues) == [
        ("chair", ("not_looking_at", "not_contacting")),
        ("clothes", ("unsure",)),
    ]
    assert training_cues(PAIRS, rng, keep_all, clip_has_cues=False) == []
    assert training_cues(PAIRS, rng, TrainConfig(noise=CLEAN, cue_drop=1.0), clip_has_cues=True) == []
    half = TrainConfig(noise=CLEAN, cue_drop=0.5)
    kept = [len(training_cues(PAIRS, rng, half, clip_has_cues=True)) for _ in range(400)]
    assert np.mean(kept) == pytest.approx(1.0, abs=0.15)  # 2 pairs x keep 0.5


@pytest.mark.parametrize(
    ("field", "value", "pattern"),
    [
        ("cue_drop", 1.5, "cue_drop must be in"),
        ("no_cue_clips", -0.1, "no_cue_clips must be in"),
        ("grad_clip", 0.0, "grad_clip must be > 0"),
    ],
)
def test_train_config_rejects_bad_values(field: str, value: float, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        TrainConfig(**{field: value})


def test_checkpoint_keeps_its_model_config(tmp_path: Path) -> None:
    from vsgg_training.vost.export import load_model

    cfg = tiny(d_model=8, heads=2, ffn=8, queries=3, so_layers=1)
    assert model_config_from_dict(dataclasses.asdict(cfg)) == cfg
    model = VostSGG(cfg)
    state = {"config": TrainConfig().to_dict(), "model_config": dataclasses.asdict(cfg), "model": model.state_dict()}
    torch.save(state, tmp_path / "model.pt")
    assert load_model(tmp_path / "model.pt").cfg == cfg  # not the (different) sizes TrainConfig() implies


def test_backbone_stride_sets_the_image_token_grid() -> None:
    image = torch.zeros(1, 120, 160, 3, dtype=torch.uint8)
    for stride, grid in ((16, (8, 10)), (8, (15, 20))):  # ceil(120 / s) x ceil(160 / s) with padding-1 3x3 convs
        model = VostSGG(tiny(d_model=8, heads=2, ffn=8, queries=2, stride=stride)).eval()
        mem, pos = model.encode_image(image)
        assert mem.shape == pos.shape == (1, grid[0] * grid[1], 8)
    with pytest.raises(ValueError, match="stride must be 8 or 16"):
        tiny(stride=4)
