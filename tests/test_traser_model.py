"""TraSeR dual resampler (paper 003, eq. 3-5): shapes, presence-adaptive windows, masking of padding."""

from __future__ import annotations

import pytest
import torch
from vsgg_training.traser.model import DualResampler, ResamplerConfig, object_sequences

CFG = ResamplerConfig(d_in=12, d_model=16, d_out=10, heads=2, layers=2, latents=3, window_latents=2, ffn_mult=2)


@pytest.fixture(scope="module")
def model() -> DualResampler:
    torch.manual_seed(0)
    return DualResampler(CFG).eval()


def _inputs() -> dict[str, torch.Tensor]:
    """Object 0: 4 real tokens in windows 0 and 2; object 1: 2 real tokens in window 1; W = 3."""
    g = torch.Generator().manual_seed(1)
    return {
        "tokens": torch.randn(2, 5, CFG.d_in, generator=g),
        "valid": torch.tensor([[1, 1, 1, 1, 0], [1, 1, 0, 0, 0]], dtype=torch.float32),
        "time": torch.tensor([[0.0, 1.0, 4.0, 5.0, 0.0], [2.0, 3.0, 0.0, 0.0, 0.0]]),
        "window": torch.tensor([[0, 0, 2, 2, 0], [1, 1, 0, 0, 0]]),
        "window_time": torch.tensor([0.0, 2.0, 4.0]),
    }


def _run(model: DualResampler, x: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    with torch.no_grad():
        return model(x["tokens"], x["valid"], x["time"], x["window"], x["window_time"])


def test_paper_defaults() -> None:
    cfg = ResamplerConfig()
    assert (cfg.layers, cfg.latents, cfg.window_latents) == (3, 32, 32)


def test_shapes_and_presence(model: DualResampler) -> None:
    z, zw, present = _run(model, _inputs())
    assert z.shape == (2, 3, 10)
    assert zw.shape == (2, 3, 1 + 2, 10)
    assert present.tolist() == [[1, 0, 1], [0, 1, 0]]
    assert torch.all(zw[0, 1] == 0) and torch.all(zw[1, 0] == 0) and torch.all(zw[1, 2] == 0)
    assert zw[0, 0].abs().sum() > 0 and zw[1, 1].abs().sum() > 0
    seqs = object_sequences(z, zw, present)
    assert [s.shape for s in seqs] == [(3 + 2 * 3, 10), (3 + 3, 10)]
    torch.testing.assert_close(seqs[0][3:6], zw[0, 0])
    torch.testing.assert_close(seqs[0][6:9], zw[0, 2])


def test_padded_tokens_do_not_change_outputs(model: DualResampler) -> None:
    base = _inputs()
    changed = {k: v.clone() for k, v in base.items()}
    changed["tokens"][0, 4] = 1e3
    changed["tokens"][1, 2:] = -50.0
    changed["time"][1, 2:] = 7.0
    changed["window"][1, 2:] = 2  # padded tokens pointing at a window must not make it present
    for a, b in zip(_run(model, base), _run(model, changed), strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0)


def test_real_token_changes_only_its_window(model: DualResampler) -> None:
    base = _inputs()
    changed = {k: v.clone() for k, v in base.items()}
    changed["tokens"][0, 0] += 1.0  # object 0, window 0
    z0, w0, _ = _run(model, base)
    z1, w1, _ = _run(model, changed)
    assert not torch.allclose(z0[0], z1[0])
    assert not torch.allclose(w0[0, 0, 1:], w1[0, 0, 1:])
    torch.testing.assert_close(w0[0, 2], w1[0, 2], atol=1e-6, rtol=0)
    torch.testing.assert_close(z0[1], z1[1], atol=1e-6, rtol=0)
    torch.testing.assert_close(w0[0, 0, 0], w1[0, 0, 0])  # the timestamp token depends on time only


def test_object_without_tokens_is_finite_and_absent(model: DualResampler) -> None:
    x = _inputs()
    x["valid"][1] = 0
    z, zw, present = _run(model, x)
    assert torch.isfinite(z).all() and torch.isfinite(zw).all()
    assert present[1].tolist() == [0, 0, 0]
    assert object_sequences(z, zw, present)[1].shape == (3, 10)


def test_config_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="heads"):
        ResamplerConfig(d_model=10, heads=3)
    with pytest.raises(ValueError, match="latents"):
        ResamplerConfig(latents=0)
