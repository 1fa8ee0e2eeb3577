"""PALS losses and PAM gating on hand-made tensors; expected values worked out by hand in the comments."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch", reason="PALS training code needs the training extra (torch)")

from vsgg_training.pals.losses import balanced_pa_loss, pam_ranking_loss, relation_loss  # noqa: E402
from vsgg_training.pals.model import NEG, attention_weights  # noqa: E402


def test_balanced_pa_averages_each_set_on_its_own() -> None:
    # PA = sigmoid(logit): positives 0.5 and 0.75 (logit ln 3), one negative at 0.5.
    # L = -1/2 * ( (ln .5 + ln .75)/2 + ln .5 ) = -1/2 * (-0.490415 - 0.693147) = 0.591781
    logits = torch.tensor([0.0, math.log(3.0), 0.0])
    pos = torch.tensor([True, True, False])
    neg = torch.tensor([False, False, True])
    assert float(balanced_pa_loss(logits, pos, neg)) == pytest.approx(0.591781, abs=1e-5)
    # plain BCE over the three pairs would be (0.693147 + 0.287682 + 0.693147)/3 = 0.557992: not what we want
    assert float(balanced_pa_loss(logits, pos, neg)) != pytest.approx(0.557992, abs=1e-3)


def test_balanced_pa_weighted_means_and_empty_set() -> None:
    # weights 1 and 3 on the positives: (0.693147 + 3 * 0.287682) / 4 = 0.389053; L = (0.389053 + 0.693147)/2
    logits = torch.tensor([0.0, math.log(3.0), 0.0])
    pos = torch.tensor([True, True, False])
    neg = torch.tensor([False, False, True])
    w = torch.tensor([1.0, 3.0, 1.0])
    assert float(balanced_pa_loss(logits, pos, neg, w)) == pytest.approx(0.541100, abs=1e-5)
    # no negatives: only the positive half counts, still halved: 0.5 * 0.490415
    assert float(balanced_pa_loss(logits, pos, torch.zeros(3, dtype=torch.bool))) == pytest.approx(0.245207, abs=1e-5)


def test_pam_ranking_margin_hand_values() -> None:
    # P rows: a=[1,0], b=[0,1] matched; c=[1,1] unmatched. G = P P^T: G[a,b]=0, G[a,c]=1, G[b,c]=1.
    # triplets (a,b,c): max(0, 1 - 0 + 1) = 2 and (b,a,c): 2 -> sum 4, mean over 2 triplets 2.
    p = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    pos = torch.tensor([True, True, False])
    neg = torch.tensor([False, False, True])
    assert float(pam_ranking_loss(p, pos, neg, 1.0, "sum")) == pytest.approx(4.0)
    assert float(pam_ranking_loss(p, pos, neg, 1.0, "mean")) == pytest.approx(2.0)


def test_pam_ranking_is_zero_once_the_margin_holds() -> None:
    # a=b=[1,0] matched (G=1), c=[0,1] unmatched (G=0): 0 - 1 + m is 0 at m=1 and 1 at m=2 (two triplets)
    p = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    pos = torch.tensor([True, True, False])
    neg = torch.tensor([False, False, True])
    assert float(pam_ranking_loss(p, pos, neg, 1.0, "sum")) == pytest.approx(0.0)
    assert float(pam_ranking_loss(p, pos, neg, 2.0, "sum")) == pytest.approx(2.0)
    # fewer than two matched pairs: no triplet exists
    assert float(pam_ranking_loss(p, torch.tensor([True, False, False]), neg, 1.0)) == 0.0


def test_gating_multiplies_logits_by_sigmoid_of_affinity() -> None:
    # logits [2, 0]; G = [1, -1] -> sigmoid [0.731059, 0.268941]; gated logits [1.462117, 0]
    # softmax -> [0.811857, 0.188143]; ungated softmax([2, 0]) = [0.880797, 0.119203]
    logits = torch.tensor([2.0, 0.0]).reshape(1, 1, 1, 2)
    gate = torch.tensor([1.0, -1.0]).reshape(1, 1, 2)
    gated = attention_weights(logits, gate).flatten().tolist()
    plain = attention_weights(logits, None).flatten().tolist()
    assert gated == pytest.approx([0.811857, 0.188143], abs=1e-5)
    assert plain == pytest.approx([0.880797, 0.119203], abs=1e-5)


def test_masked_keys_get_no_weight_even_when_gated() -> None:
    logits = torch.tensor([2.0, 5.0]).reshape(1, 1, 1, 2)
    gate = torch.tensor([0.0, -10.0]).reshape(1, 1, 2)
    mask = torch.tensor([[0.0, NEG]])
    assert attention_weights(logits, gate, mask).flatten().tolist() == pytest.approx([1.0, 0.0], abs=1e-6)


def test_relation_loss_hand_values() -> None:
    # zero logits: soft CE with target [.5, .5, 0] is ln 3 = 1.098612; each BCE term is ln 2 = 0.693147
    logits = {"attention": torch.zeros(1, 3), "spatial": torch.zeros(1, 6), "contacting": torch.zeros(1, 17)}
    target_att = torch.tensor([[0.5, 0.5, 0.0]])
    spa, con = torch.zeros(1, 6), torch.zeros(1, 17)
    spa[0, 2] = 1.0
    assert float(relation_loss(logits, target_att, spa, con)) == pytest.approx(1.098612 + 2 * 0.693147, abs=1e-5)


def test_relation_loss_group_weights_scale_each_term() -> None:
    # same zero logits: 2 * ln 3 (attention, one-hot target) + 0.5 * ln 2 (spatial) + 3 * ln 2 (contacting)
    logits = {"attention": torch.zeros(1, 3), "spatial": torch.zeros(1, 6), "contacting": torch.zeros(1, 17)}
    target_att = torch.tensor([[1.0, 0.0, 0.0]])
    spa, con = torch.zeros(1, 6), torch.zeros(1, 17)
    loss = relation_loss(logits, target_att, spa, con, (2.0, 0.5, 3.0))
    assert float(loss) == pytest.approx(2 * 1.098612 + 3.5 * 0.693147, abs=1e-5)
