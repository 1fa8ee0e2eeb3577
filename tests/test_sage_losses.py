"""SAGE losses and scoring on hand-made tensors; expected values worked out by hand from eqs. 11-15."""

import math

import pytest

torch = pytest.importorskip("torch")

from vsgg_training.sage.losses import consistency_loss, focal_loss, object_loss, total_loss  # noqa: E402
from vsgg_training.sage.model import relation_scores  # noqa: E402


def test_focal_loss_one_positive_one_negative():
    # positive p=0.9: 0.25 * 0.1^2 * -ln 0.9; negative p=0.2 -> p_t=0.8: 0.75 * 0.2^2 * -ln 0.8
    expected = 0.25 * 0.01 * -math.log(0.9) + 0.75 * 0.04 * -math.log(0.8)
    got = focal_loss(torch.tensor([[0.9, 0.2]]), torch.tensor([[1.0, 0.0]]))
    assert float(got) == pytest.approx(expected, rel=1e-5)
    assert float(got) == pytest.approx(0.0069577, abs=1e-6)


def test_focal_loss_averages_samples_and_1d_means():
    two = focal_loss(torch.tensor([[0.9], [0.2]]), torch.tensor([[1.0], [0.0]]))
    assert float(two) == pytest.approx((0.000263401 + 0.00669431) / 2, rel=1e-4)
    flat = focal_loss(torch.tensor([0.9, 0.2]), torch.tensor([1.0, 0.0]))
    assert float(flat) == pytest.approx(float(two), rel=1e-6)


def test_consistency_loss():
    enhanced = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    w_clip = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    # cosines 1 and 1/sqrt(2): 1 - (1 + 0.70710678) / 2
    assert float(consistency_loss(enhanced, w_clip)) == pytest.approx(0.14644661, abs=1e-6)


def test_object_loss_sums_two_cross_entropies():
    sub = torch.tensor([[0.0, math.log(3.0)]])
    obj = torch.tensor([[0.0, 0.0]])
    got = object_loss(sub, torch.tensor([1]), obj, torch.tensor([0]))
    assert float(got) == pytest.approx(-math.log(0.75) + math.log(2.0), rel=1e-6)


def test_total_loss_weights():
    one = torch.tensor(1.0)
    got = total_loss(one, 2 * one, 3 * one, 4 * one, alpha=0.5, beta=1.0, gamma=2.0)
    assert float(got) == pytest.approx(1 + 1 + 3 + 8)


def test_relation_scores_cosine_over_tau():
    v = torch.tensor([[1.0, 0.0]])
    cls = torch.tensor([[2.0, 0.0], [0.0, 3.0]])
    got = relation_scores(v, cls, tau=0.5)
    assert got[0, 0].item() == pytest.approx(1 / (1 + math.exp(-2.0)), rel=1e-6)
    assert got[0, 1].item() == pytest.approx(0.5, rel=1e-6)
    per_pair = relation_scores(v, cls.unsqueeze(0), tau=0.5)
    assert torch.allclose(per_pair, got)
