"""VOST-SGG building blocks on hand-made inputs: query initialisation, spatial embedding, cues, matching."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from vsgg_training.vost.config import LossConfig, for_ablation, tiny  # noqa: E402
from vsgg_training.vost.losses import FrameTargets, hungarian  # noqa: E402
from vsgg_training.vost.model import VostSGG, spatial_features  # noqa: E402

from vsgg_ros.graph import ObjectNode, Relation, SceneGraph, Track  # noqa: E402
from vsgg_ros.heads.vost import map_to_tracks  # noqa: E402
from vsgg_ros.heads.vost_cues import Cue, graph_to_cues  # noqa: E402
from vsgg_ros.heads.vost_encoders import HashedTextEncoder, RegionColorEncoder, encode_cues  # noqa: E402


def small(**kw: object) -> VostSGG:
    cfg = tiny(d_model=4, heads=2, ffn=8, queries=3, text_dim=2, channels=4, **kw)
    return VostSGG(cfg)


def test_spatial_features_hand_computed() -> None:
    boxes = torch.tensor([[0.1, 0.2, 0.3, 0.6, 0.5, 0.5, 0.9, 0.6]])
    got = spatial_features(boxes)[0].tolist()
    # b_sub, b_obj, c_sub - c_obj = (0.2, 0.4) - (0.7, 0.55), a_sub = 0.2 * 0.4, a_obj = 0.4 * 0.1
    want = [0.1, 0.2, 0.3, 0.6, 0.5, 0.5, 0.9, 0.6, -0.5, -0.15, 0.08, 0.04]
    assert got == pytest.approx(want, abs=1e-6)


def test_spatial_embedding_is_linear_of_the_12_numbers() -> None:
    model = small()
    with torch.no_grad():
        model.spatial.weight.fill_(1.0)
        model.spatial.bias.zero_()
    s = model.spatial(spatial_features(torch.tensor([[0.1, 0.2, 0.3, 0.6, 0.5, 0.5, 0.9, 0.6]])))
    assert s.shape == (1, 4)
    assert s[0].tolist() == pytest.approx([3.17] * 4, abs=1e-5)  # sum of the 12 numbers above


def _set_content_weights(model: VostSGG) -> None:
    with torch.no_grad():
        model.so_content.weight.copy_(torch.eye(4))
        model.so_content.bias.fill_(1.0)
        model.p_content.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]]))
        model.p_content.bias.zero_()


def test_dsqi_content_queries_hand_computed() -> None:
    model = small()
    _set_content_weights(model)
    text = torch.tensor([[[[0.5, -1.0], [2.0, 0.0], [3.0, 4.0]], [[9.0, 9.0], [9.0, 9.0], [9.0, 9.0]]]])
    valid = torch.tensor([[1.0, 0.0]])
    so, p = model.content_queries(text, valid)
    assert so.shape == p.shape == (1, 3, 4)
    assert so[0, 0].tolist() == pytest.approx([1.5, 0.0, 3.0, 1.0])  # concat(sub, obj) + 1
    assert so[0, 1].tolist() == [0.0] * 4  # padding cue
    assert so[0, 2].tolist() == [0.0] * 4  # query without a cue
    assert p[0, 0].tolist() == pytest.approx([3.0, 4.0, 7.0, 0.0])
    assert p[0, 1:].abs().sum() == 0


def test_cues_beyond_the_query_count_are_dropped_and_iaqi_is_zero() -> None:
    model = small()
    _set_content_weights(model)
    text = torch.arange(4 * 3 * 2, dtype=torch.float32).reshape(1, 4, 3, 2)
    so, _ = model.content_queries(text, torch.ones(1, 4))
    assert so[0, 2].tolist() == pytest.approx([13.0, 14.0, 15.0, 16.0])  # cue 2: sub (12, 13), obj (14, 15)
    iaqi = VostSGG(dataclasses.replace(model.cfg, use_dsqi=False))
    so0, p0 = iaqi.content_queries(text, torch.ones(1, 4))
    assert so0.abs().sum() == 0 and p0.abs().sum() == 0


def test_frame_forward_runs_with_no_valid_cue() -> None:
    torch.manual_seed(0)
    model = small().eval()
    w, h = model.cfg.image_size
    image = torch.randint(0, 256, (1, h, w, 3), dtype=torch.uint8)
    zeros = (torch.zeros(1, 1, 3, 2), torch.zeros(1, 1, 3, 48), torch.zeros(1, 1, 8), torch.zeros(1, 1))
    tri = model.frame_forward(image, *zeros)
    out = model.heads(model.aggregate(tri, torch.zeros(1, 2, 3, 8), torch.zeros(1, 2)))
    assert tri.shape == (1, 3, 8)
    assert all(torch.isfinite(v).all() for v in out.values())


def test_cue_anchors_start_cued_queries_from_the_cue_boxes() -> None:
    torch.manual_seed(0)
    boxes = torch.tensor([[[0.1, 0.2, 0.3, 0.6, 0.5, 0.5, 0.9, 0.7], [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0]]])
    valid = torch.tensor([[1.0, 0.0]])  # cue 0 valid, cue 1 padding; query 2 has no cue at all
    plain = small()
    sub, obj = plain.references(boxes, valid)
    assert torch.equal(sub[0], plain.sub_ref) and torch.equal(obj[0], plain.obj_ref)  # off: the learned boxes
    model = small(cue_anchors=True)
    sub, obj = model.references(boxes, valid)
    # query 0: logit of the cue's (cx, cy, w, h): subject (0.2, 0.4, 0.2, 0.4), object (0.7, 0.6, 0.4, 0.2)
    assert torch.sigmoid(sub[0, 0]).tolist() == pytest.approx([0.2, 0.4, 0.2, 0.4], abs=1e-6)
    assert torch.sigmoid(obj[0, 0]).tolist() == pytest.approx([0.7, 0.6, 0.4, 0.2], abs=1e-6)
    assert torch.equal(sub[0, 1:], model.sub_ref[1:]) and torch.equal(obj[0, 1:], model.obj_ref[1:])
    # with a zero box head the decoded box is the reference itself
    for head in (model.sub_box, model.obj_box):
        torch.nn.init.zeros_(head[-1].weight)
        torch.nn.init.zeros_(head[-1].bias)
    out = model.heads(torch.randn(1, 3, 8), (sub, obj))
    assert out["sub_boxes"][0, 0].tolist() == pytest.approx([0.2, 0.4, 0.2, 0.4], abs=1e-6)
    # the instance-agnostic ablation row knows nothing of the cues, anchors included
    rows = [for_ablation(a, tiny(cue_anchors=True)) for a in ("iaqi", "dsqi", "full")]
    assert [row.cue_anchors for row in rows] == [False, True, True]


def test_hashed_text_encoder_is_a_fixed_word_table() -> None:
    a, b = HashedTextEncoder(16), HashedTextEncoder(16)
    multi = a.encode(["cup/glass/bottle"])[0]
    words = np.mean([b.word("cup"), b.word("glass"), b.word("bottle")], axis=0)
    np.testing.assert_allclose(multi, words, rtol=1e-6)
    np.testing.assert_array_equal(a.encode(["in_front_of"]), b.encode(["in front of"]))
    assert not np.allclose(a.encode(["holding"]), a.encode(["touching"]))


def test_encode_cues_normalises_boxes_and_pads() -> None:
    image = np.zeros((240, 320, 3), np.uint8)
    image[:, :160] = 255
    cue = Cue("person", "cup", ("holding", "in"), (32.0, 24.0, 64.0, 48.0), (160.0, 120.0, 320.0, 240.0))
    arrays = encode_cues([cue], image, HashedTextEncoder(8), RegionColorEncoder(), min_rows=3)
    assert arrays.boxes.shape == (3, 8) and arrays.valid.tolist() == [1.0, 0.0, 0.0]
    assert arrays.boxes[0].tolist() == pytest.approx([0.1, 0.1, 0.2, 0.2, 0.5, 0.5, 1.0, 1.0])
    assert arrays.visual[0, 0] == pytest.approx(np.full(48, 0.5))  # subject region is all white
    assert arrays.visual[0, 1] == pytest.approx(np.full(48, -0.5))  # object region is all black


def test_graph_to_cues_folds_spatial_direction_into_the_person_pair() -> None:
    graph = SceneGraph(0, 3, objects=[ObjectNode(1, "person", (0, 0, 10, 10)), ObjectNode(2, "cup", (5, 5, 8, 8))])
    graph.relations = [Relation(1, 2, "holding", score=0.9), Relation(2, 1, "in_front_of", score=0.4)]
    (cue,) = graph_to_cues(graph)
    assert (cue.subject, cue.object, cue.predicates, cue.score) == ("person", "cup", ("holding", "in_front_of"), 0.9)


def test_map_to_tracks_hungarian_on_iou() -> None:
    tracks = [Track(10, (0, 0, 10, 10), "person"), Track(11, (20, 0, 30, 10), "cup"), Track(12, (40, 0, 50, 10), "cup")]
    preds = np.zeros((2, 26), np.float32)
    preds[0, 0], preds[1, 1] = 1.0, 1.0
    probs = np.zeros((2, 37), np.float32)
    probs[:, 0] = 0.5
    out = {
        "sub_boxes": np.array([[0, 0, 10, 10], [0, 0, 10, 10]], np.float32),
        "obj_boxes": np.array([[40, 0, 50, 10], [21, 0, 31, 10]], np.float32),  # IoU 1 with 12, 9/11 with 11
        "sub_probs": probs,
        "obj_probs": probs,
        "predicates": preds,
    }
    got = map_to_tracks(out, tracks, [(0, 1), (0, 2)])
    assert set(got) == {(10, 12), (10, 11)}
    assert got[(10, 12)][0] == pytest.approx(0.25) and got[(10, 11)][1] == pytest.approx(0.25)
    out["obj_boxes"][1] = [100, 100, 110, 110]  # no overlap: dropped
    assert set(map_to_tracks(out, tracks, [(0, 1), (0, 2)])) == {(10, 12)}


def test_hungarian_matches_the_query_that_equals_the_ground_truth() -> None:
    n = 3
    logits = torch.full((n, 37), -5.0)
    boxes = torch.tensor([[0.2, 0.2, 0.1, 0.1], [0.5, 0.5, 0.2, 0.2], [0.8, 0.8, 0.1, 0.1]])
    logits[1, 0], logits[0, 4] = 5.0, 5.0  # query 1 says person, query 0 says box
    out = {"sub_logits": logits, "obj_logits": logits.clone(), "sub_boxes": boxes, "obj_boxes": boxes.clone(),
           "pred_logits": torch.zeros(n, 26)}  # fmt: skip
    tgt = FrameTargets(torch.tensor([0]), torch.tensor([0]), boxes[1:2], boxes[1:2], torch.zeros(1, 26))
    q, g = hungarian(out, tgt, LossConfig())
    assert q.tolist() == [1] and g.tolist() == [0]
