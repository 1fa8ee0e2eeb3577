"""GRPO reward terms on hand-computed examples (paper 004 §3.4; values worked out by hand below)."""

from __future__ import annotations

import math

import pytest
from vsgg_training.vlm.rewards import (
    REWARD_WEIGHTS,
    giou,
    l1_norm,
    matched_relations,
    object_assignment,
    score_completion,
    trl_reward_functions,
)

from vsgg_ros.codec.toon import ToonGraph, ToonObject, ToonRelation, ToonSchema

SIZE = (100, 100)
GT = "obj[2]{id,name,x1,y1,x2,y2}:\n  1,person,0,0,50,50\n  2,cup,60,60,80,80\nrel[1]{subj,pred,obj}:\n  1,holding,2"
# person exact; cup taller (IoU 400/600 = 2/3, GIoU 2/3, L1 = 10/100); a hallucinated table; an extra relation.
PRED = (
    "<answer>\nobj[3]{id,name,x1,y1,x2,y2}:\n  1,person,0,0,50,50\n  2,cup,60,60,80,90\n  3,table,0,60,40,100\n"
    "rel[2]{subj,pred,obj}:\n  1,holding,2\n  1,on,3\n</answer>"
)


def test_giou_and_l1_by_hand() -> None:
    assert giou((0, 0, 2, 2), (3, 0, 5, 2)) == pytest.approx(-0.2)  # no overlap, hull 10, union 8
    assert giou((0, 0, 2, 2), (1, 0, 3, 2)) == pytest.approx(1 / 3)  # inter 2, union 6, hull = union
    assert l1_norm((0, 0, 10, 10), (5, 2, 10, 14), (50, 20)) == pytest.approx(5 / 50 + (2 + 4) / 20)


def test_every_term_on_a_hand_computed_example() -> None:
    s = score_completion(PRED, GT, ToonSchema.GENERIC, SIZE)
    assert s.valid and s.format == 1.0
    assert s.object_class == pytest.approx(2 / 3)  # two correct names / max(2, 3)
    box_cup = (2 * (2 / 3) + 5 * math.exp(-0.1)) / 7
    assert s.object_box == pytest.approx((1.0 + box_cup) / 3)
    assert s.matched_relations == 1
    assert s.relation_recall == pytest.approx(1.0)
    assert s.relation_precision == pytest.approx(0.5)
    assert s.relation_f1 == pytest.approx(2 / 3)
    assert s.object_hallucination == pytest.approx(-1 / 3)  # the table matches nothing
    assert s.relation_hallucination == pytest.approx(-0.25)  # ((2 - 1) / 2) ** 2
    expected = 0.5 + 1.5 * (2 / 3) + 1.5 * (1.0 + box_cup) / 3 + 3 * 1 + 1 * 0.5 + 2 * (2 / 3) - 1 / 3 - 0.25
    assert s.weighted_total() == pytest.approx(expected)


def test_invalid_outputs_get_nothing_not_even_penalties() -> None:
    bad_count = PRED.replace("rel[2]", "rel[3]")
    no_tags = PRED.replace("<answer>\n", "").replace("</answer>", "")
    for text in (bad_count, no_tags, "a cat"):
        s = score_completion(text, GT, ToonSchema.GENERIC, SIZE)
        assert not s.valid and s.weighted_total() == 0.0


def test_wrong_label_and_far_box_cost_in_the_assignment() -> None:
    gt = ToonGraph(ToonSchema.GENERIC, (ToonObject(1, "cup", (0, 0, 10, 10)),))
    pred = ToonGraph(
        ToonSchema.GENERIC, (ToonObject(1, "bowl", (0, 0, 10, 10)), ToonObject(2, "cup", (40, 40, 50, 50)))
    )
    # bowl: cost 1 (label) + 0 + 0 = 1; far cup: 0 + 2*(1 - (0 - (2500 - 200)/2500)) + 5*(160/100) > 1
    assert object_assignment(gt, pred, SIZE) == [(0, 0)]
    s = score_completion(
        "<answer>\nobj[2]{id,name,x1,y1,x2,y2}:\n  1,bowl,0,0,10,10\n  2,cup,40,40,50,50\nrel[0]{subj,pred,obj}:\n"
        "</answer>",
        "obj[1]{id,name,x1,y1,x2,y2}:\n  1,cup,0,0,10,10\nrel[0]{subj,pred,obj}:",
        ToonSchema.GENERIC,
        SIZE,
    )
    assert s.object_class == 0.0 and s.object_hallucination == pytest.approx(-1.0)
    assert s.object_box == pytest.approx(1.0 / 2)  # perfect box, shared by max(1, 2)
    assert (s.relation_recall, s.relation_precision, s.relation_f1, s.relation_hallucination) == (0, 0, 0, 0)


def test_relation_matching_is_one_to_one_and_needs_names_and_overlap() -> None:
    objs = (ToonObject(1, "person", (0, 0, 10, 10)), ToonObject(2, "cup", (20, 20, 30, 30)))
    gt = ToonGraph(ToonSchema.GENERIC, objs, (ToonRelation(1, "holding", 2),))
    twice = ToonGraph(
        ToonSchema.GENERIC,
        (*objs, ToonObject(3, "person", (0, 0, 10, 9))),
        (ToonRelation(1, "holding", 2), ToonRelation(3, "holding", 2)),
    )
    assert matched_relations(gt, twice) == 1
    moved = ToonGraph(ToonSchema.GENERIC, (objs[0], ToonObject(2, "cup", (25, 25, 35, 35))), gt.relations)
    assert matched_relations(gt, moved) == 0  # cup IoU 25/175 < 0.5
    ag_gt = ToonGraph(ToonSchema.AG, objs, (ToonRelation(1, "in_front_of", 2, "spatial"),))
    ag_pred = ToonGraph(ToonSchema.AG, objs, (ToonRelation(1, "in_front_of", 2, "contacting"),))
    assert matched_relations(ag_gt, ag_pred) == 0


def test_trl_callables_follow_the_weights_and_read_dataset_columns() -> None:
    functions, weights = trl_reward_functions()
    assert [f.__name__ for f in functions] == [f"{n}_reward" for n in REWARD_WEIGHTS]
    assert weights == [0.5, 1.5, 1.5, 3.0, 1.0, 2.0, 1.0, 1.0]
    columns = {"solution": [GT, GT], "image_size": [[100, 100], [100, 100]], "schema": ["generic", "generic"]}
    completions = [[{"role": "assistant", "content": PRED}], [{"role": "assistant", "content": "no graph"}]]
    recall = functions[list(REWARD_WEIGHTS).index("relation_recall")]
    assert recall(prompts=[None, None], completions=completions, **columns) == [1.0, 0.0]
