"""TraSeR SFT: the paper's learning-rate groups, the schedule, that training fits a window, and the CLI's
train command on a one-video SynthRoom world (export: test_traser_export, test_traser_head)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from vsgg_training.traser.sft import PAPER_LR, SftConfig, build_sft_model, lr_factor, param_groups  # noqa: E402

from vsgg_ros.heads.traser_clip import ClipConfig  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_param_groups_follow_the_paper() -> None:
    model = build_sft_model(128, SftConfig(lr_scale=10.0, lm_hidden=32, lm_layers=1))
    groups = {g["name"]: g for g in param_groups(model, SftConfig(lr_scale=10.0))}
    # Paper 003 §4.3: projector 5e-5, resamplers 1e-4, LM 2e-5 (scaled together here).
    assert {k: g["lr"] for k, g in groups.items()} == pytest.approx({"projector": 5e-4, "resamplers": 1e-3, "lm": 2e-4})
    assert PAPER_LR == {"projector": 5e-5, "resamplers": 1e-4, "lm": 2e-5}
    ids = [{id(p) for p in g["params"]} for g in groups.values()]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    assert sum(len(i) for i in ids) == len(list(model.parameters()))
    assert ids[0] == {id(p) for p in model.resampler.in_proj.parameters()}


def test_schedule_warms_up_then_decays_linearly() -> None:
    # 100 steps, 3 % warm-up = 3 steps: 1/3, 2/3, 1, then (100 - s) / 97.
    assert [lr_factor(s, 100, 0.03) for s in (0, 1, 2)] == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert lr_factor(3, 100, 0.03) == pytest.approx(97 / 97)
    assert lr_factor(50, 100, 0.03) == pytest.approx(50 / 97)
    assert lr_factor(99, 100, 0.03) == pytest.approx(1 / 97)


def _sample():
    from vsgg_training.traser.data import synth_samples

    return synth_samples(1, 30, 0, ClipConfig(size=(112, 84), max_objects=3), "train")


def test_training_fits_one_window() -> None:
    from vsgg_training.traser.sft import train_sft

    samples = _sample()
    assert len(samples) == 1
    cfg = SftConfig(epochs=40, lr_scale=300.0, lm_hidden=32, lm_layers=1)
    model = build_sft_model(128, cfg)
    with torch.no_grad():
        before = float(model.example_loss(samples[0]))
    history = train_sft(model, samples, cfg)
    with torch.no_grad():
        after = float(model.example_loss(samples[0]))
    assert history["steps"] == 40
    # At random init the per-token loss is near ln(vocabulary) = ln(265) ~ 5.6; 40 steps on one window cut it by 40 %.
    assert before == pytest.approx(np.log(len(model.tokenizer)), rel=0.15)
    assert after < 0.6 * before


def test_cli_train_writes_a_run_folder(tmp_path: Path) -> None:
    from vsgg_training.traser.cli import load_resampler, main

    from vsgg_ros.vlm.traser_lm import load_lm

    run = tmp_path / "run"
    assert main(["train", "--out", str(run), "--videos", "1", "--frames", "30", "--epochs", "2", "--no-window",
                 "--eval-windows", "0"]) == 0  # fmt: skip
    report = json.loads((run / "train.json").read_text())
    assert report["data"]["train_windows"] == 1 and report["train"]["steps"] == 2
    settings = json.loads((run / "traser.json").read_text())
    assert settings["use_windows"] is False and ClipConfig.from_dict(settings["clip"]) == ClipConfig(max_objects=5)
    assert load_resampler(run).cfg.d_out == load_lm(run / "lm").config.hidden_size
    with pytest.raises(FileNotFoundError, match=r"resampler\.pt"):
        load_resampler(run / "lm")


def test_name_probe_loss_averages_cross_entropy_over_named_objects() -> None:
    from types import SimpleNamespace

    from vsgg_ros.vlm.traser_format import TraserGraph, TraserObject

    model = build_sft_model(128, SftConfig(lm_hidden=32, lm_layers=1, name_weight=0.5), names=("cup", "person"))
    assert model.name_probe is not None
    with torch.no_grad():
        model.name_probe.weight.zero_()
        model.name_probe.bias.zero_()
        model.name_probe.weight[0, 0] = 1.0  # logit of "cup" = latent dim 0
        model.name_probe.weight[1, 1] = 1.0  # logit of "person" = latent dim 1
    z = torch.zeros(3, 8, 32)
    z[0, :4, 0] = 4.0  # object 1: mean dim 0 = 2 -> logits (2, 0)
    z[2, :, 1] = 3.0  # object 3: mean dim 1 = 3 -> logits (0, 3)
    objects = (TraserObject(1, "cup"), TraserObject(2, "ghost"), TraserObject(3, "person"))
    sample = SimpleNamespace(target=TraserGraph(objects=objects))
    # Names outside the probe's list ("ghost") are skipped; the rest are averaged.
    expected = (np.log1p(np.exp(-2.0)) + np.log1p(np.exp(-3.0))) / 2
    assert float(model.name_loss(z, sample)) == pytest.approx(expected, rel=1e-6)
    groups = {g["name"]: {id(p) for p in g["params"]} for g in param_groups(model, SftConfig())}
    assert {id(p) for p in model.name_probe.parameters()} <= groups["resamplers"]
    assert sum(len(i) for i in groups.values()) == len(list(model.parameters()))
    assert build_sft_model(128, SftConfig(lm_hidden=32, lm_layers=1), names=("cup",)).name_probe is None
