"""Action Genome protocol: golden values worked out by hand in the comments, never by running our code.

Predicate ids (AG order, reference §1.1): attention looking_at 0, not_looking_at 1, unsure 2;
spatial above 3, beneath 4, in_front_of 5, behind 6, on_the_side_of 7, in 8; contacting carrying 9,
holding 14, not_contacting 17, sitting_on 19, touching 21. Classes: person 0, chair 7, cup/glass/bottle 10.
"""

from __future__ import annotations

import numpy as np
import pytest

from vsgg_ros.eval.ag import (
    AgFrameGT,
    AgFrameMatches,
    AgFramePrediction,
    AgOptions,
    evaluate_ag_frame,
    greedy_one_to_one,
    rank_triplets,
    summarize_ag,
)
from vsgg_ros.eval.ag_adapt import AdaptStats, ag_gt_from_graph, ag_prediction_from_graph
from vsgg_ros.graph import ObjectNode, Relation, SceneGraph

PERSON, CHAIR, CUP = 0, 7, 10
LOOKING_AT, NOT_LOOKING_AT, UNSURE = 0, 1, 2
ABOVE, BENEATH, IN_FRONT_OF, BEHIND, SIDE, IN = 3, 4, 5, 6, 7, 8
HOLDING, TOUCHING = 14, 21
KS = (1, 2, 3, 4, 5)


def scores(size: int, **at: float) -> np.ndarray:
    v = np.zeros(size)
    for index, value in at.items():
        v[int(index[1:])] = value
    return v


def one_pair_prediction(att, spatial, contacting, boxes=((0, 0, 10, 10), (20, 0, 30, 10)), labels=(PERSON, CUP)):
    return AgFramePrediction(
        boxes=np.array(boxes, float),
        labels=labels,
        scores=np.ones(len(boxes)),
        pairs=[[0, 1]],
        attention=[att],
        spatial=[spatial],
        contacting=[contacting],
    )


def run(gt: AgFrameGT, pred: AgFramePrediction | None, **options):
    opts = AgOptions(ks=KS, **options)
    return summarize_ag([evaluate_ag_frame(gt, pred, opts)], opts.ks)


# One person (node 0) and one cup (node 1); GT: looking_at, two spatial labels (multi-label) pointing
# cup -> person, and holding.
GT = AgFrameGT(
    boxes=[[0, 0, 10, 10], [20, 0, 30, 10]],
    labels=[PERSON, CUP],
    relations=[[0, 1, LOOKING_AT], [1, 0, IN_FRONT_OF], [1, 0, BENEATH], [0, 1, HOLDING]],
)
# attention softmax [.7 .2 .1]; spatial: beneath .95, in_front_of .92, behind .3, side .1, above .05, in 0;
# contacting: touching .95, holding .8, everything else 0.
PRED = one_pair_prediction(
    [0.7, 0.2, 0.1],
    [0.05, 0.95, 0.92, 0.3, 0.1, 0.0],
    scores(17, c5=0.8, c12=0.95),  # contacting-local 5 = holding (14), 12 = touching (21)
)


def test_with_constraint_keeps_one_label_per_row_so_multilabel_spatial_caps_recall() -> None:
    # Rows: attention argmax looking_at .7, spatial argmax beneath .95, contacting argmax touching .95.
    # Rank (ties keep generation order, spatial rows before contacting rows): beneath(hit GT2),
    # touching(miss), looking_at(hit GT0). R@1 = 1/4, R@2 = 1/4, R@3..5 = 2/4.
    s = run(GT, PRED, constraint="with")
    assert s.recall == pytest.approx({1: 0.25, 2: 0.25, 3: 0.5, 4: 0.5, 5: 0.5})
    # P@K = TP / min(K, 3 predictions): P@1 = 1, P@2 = 1/2, P@3 = 2/3 (and stays, only 3 predictions).
    assert s.precision == pytest.approx({1: 1.0, 2: 0.5, 3: 2 / 3, 4: 2 / 3, 5: 2 / 3})
    # F1@2: P = .5, R = 1/4 -> 2 * .5 * .25 / .75 = 1/3.
    assert s.f1[2] == pytest.approx(1 / 3)


def test_semi_constraint_takes_every_spatial_and_contacting_label_strictly_above_threshold() -> None:
    # attention: looking_at .7 (argmax only); spatial > .9: beneath .95, in_front_of .92;
    # contacting > .9: touching .95 (holding .8 is not). Ranked: beneath(GT2) .95, touching .95,
    # in_front_of(GT1) .92, looking_at(GT0) .7 -> R@3 = 2/4, R@4 = 3/4; holding never predicted.
    s = run(GT, PRED, constraint="semi")
    assert s.recall == pytest.approx({1: 0.25, 2: 0.25, 3: 0.5, 4: 0.75, 5: 0.75})


def test_semi_threshold_is_strict() -> None:
    # A spatial score of exactly 0.9 is not "> 0.9"; 0.9000001 is.
    at = one_pair_prediction([1, 0, 0], scores(6, s2=0.9), np.zeros(17))
    above = one_pair_prediction([1, 0, 0], scores(6, s2=0.9000001), np.zeros(17))
    gt = AgFrameGT(GT.boxes, GT.labels, [[1, 0, IN_FRONT_OF]])
    assert run(gt, at, constraint="semi").recall[5] == 0.0
    assert run(gt, above, constraint="semi").recall[5] == 1.0


def test_no_constraint_ranks_every_cell_and_breaks_ties_by_generation_order() -> None:
    # Non-zero cells by score: beneath .95 (spatial row, generated before the contacting row),
    # touching .95, in_front_of .92, holding .8, looking_at .7, behind .3, not_looking_at .2,
    # unsure .1, side .1, above .05 -> hits at ranks 1 (GT2), 3 (GT1), 4 (GT3), 5 (GT0).
    s = run(GT, PRED, constraint="no")
    assert s.recall == pytest.approx({1: 0.25, 2: 0.25, 3: 0.5, 4: 0.75, 5: 1.0})
    # 10 candidates; P@5 = 4/5, F1@5 = 2 * .8 * 1 / 1.8.
    assert s.precision[5] == pytest.approx(0.8)
    assert s.f1[5] == pytest.approx(2 * 0.8 / 1.8)
    ranked = rank_triplets(PRED, AgOptions(constraint="no"))
    assert len(ranked) == 10
    assert ranked.predicates[:2].tolist() == [BENEATH, TOUCHING]


def test_no_constraint_keeps_top_100_only() -> None:
    # 5 identical pairs x 26 non-zero cells = 130 candidates, cut to 100.
    many = AgFramePrediction(
        boxes=[[0, 0, 10, 10], [20, 0, 30, 10]],
        labels=[PERSON, CUP],
        scores=[1, 1],
        pairs=[[0, 1]] * 5,
        attention=np.full((5, 3), 0.3),
        spatial=np.full((5, 6), 0.5),
        contacting=np.full((5, 17), 0.5),
    )
    assert len(rank_triplets(many, AgOptions(constraint="no"))) == 100


def test_triplet_score_multiplies_object_scores() -> None:
    # Two pairs: cup (object score .5) with attention .9 -> .45; chair (object score 1) with .6 -> .6.
    # The chair triplet ranks first although its predicate score is lower.
    pred = AgFramePrediction(
        boxes=[[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10]],
        labels=[PERSON, CUP, CHAIR],
        scores=[1.0, 0.5, 1.0],
        pairs=[[0, 1], [0, 2]],
        attention=[[0.9, 0.05, 0.05], [0.6, 0.2, 0.2]],
        spatial=np.zeros((2, 6)),
        contacting=np.zeros((2, 17)),
    )
    ranked = rank_triplets(pred, AgOptions())
    assert ranked.objects.tolist() == [2, 1]
    assert ranked.scores.tolist() == pytest.approx([0.6, 0.45])


def test_reversed_spatial_direction_does_not_match() -> None:
    # A GT whose spatial triplet points person -> cup cannot be hit: predictions put spatial rows on
    # the reversed pair (cup -> person), as STTran does.
    wrong_way = AgFrameGT(GT.boxes, GT.labels, [[0, 1, IN_FRONT_OF]])
    pred = one_pair_prediction([1, 0, 0], scores(6, s2=1.0), np.zeros(17))
    assert run(wrong_way, pred).recall[5] == 0.0
    right_way = AgFrameGT(GT.boxes, GT.labels, [[1, 0, IN_FRONT_OF]])
    assert run(right_way, pred).recall[5] == 1.0


def _graph(relations: list[Relation], cup_box=(20.0, 0.0, 30.0, 10.0), score: float = 1.0) -> SceneGraph:
    objects = [
        ObjectNode(1, "person", (0.0, 0.0, 10.0, 10.0), PERSON),
        ObjectNode(2, "cup/glass/bottle", cup_box, CUP, score),
    ]
    return SceneGraph(0, 0, objects=objects, relations=relations)


def test_graph_adapter_reads_spatial_stored_either_way_round() -> None:
    # Pair convention (person -> cup, group spatial) and explicit object -> person give the same
    # triplet (cup node 1, person node 0, in_front_of).
    pair_form = _graph([Relation(1, 2, "in_front_of", group="spatial")])
    explicit = _graph([Relation(2, 1, "in_front_of", group="spatial")])
    assert ag_gt_from_graph(pair_form).relations.tolist() == [[1, 0, IN_FRONT_OF]]
    assert ag_gt_from_graph(explicit).relations.tolist() == [[1, 0, IN_FRONT_OF]]
    # and a prediction stored either way hits the other's GT
    s = summarize_ag([evaluate_ag_frame(ag_gt_from_graph(pair_form), ag_prediction_from_graph(explicit), AgOptions())])
    assert s.recall[10] == 1.0


def test_graph_adapter_drops_and_counts_what_is_not_ag() -> None:
    # 'flying' is no AG predicate; a cup -> chair relation touches no person; a repeated triplet counts once.
    g = _graph(
        [
            Relation(1, 2, "holding", group="contacting"),
            Relation(1, 2, "holding", group="contacting"),
            Relation(1, 2, "flying"),
            Relation(2, 3, "holding"),
            Relation(1, 2, "holding", group="spatial"),  # group disagrees with the predicate
        ]
    )
    stats = AdaptStats()
    gt = ag_gt_from_graph(g, stats)
    assert gt.relations.tolist() == [[0, 1, HOLDING]]
    assert stats.counts == {
        "gt_relation_duplicate": 1,
        "gt_relation_not_ag_predicate": 2,
        "gt_relation_without_person_or_end": 1,
    }


def test_duplicated_predictions_hit_once_for_recall_and_count_as_false_positives() -> None:
    # The same pair listed twice with looking_at = 1: two identical triplets, both hit GT0
    # (many-to-many). R@2 = 1; greedy one-to-one gives TP = 1 of 2 -> P@2 = 1/2, F1@2 = 2(.5)(1)/1.5.
    gt = AgFrameGT(GT.boxes, GT.labels, [[0, 1, LOOKING_AT]])
    pred = AgFramePrediction(
        boxes=GT.boxes,
        labels=GT.labels,
        scores=[1, 1],
        pairs=[[0, 1], [0, 1]],
        attention=[[1, 0, 0], [1, 0, 0]],
        spatial=np.zeros((2, 6)),
        contacting=np.zeros((2, 17)),
    )
    s = run(gt, pred)
    assert s.recall[2] == 1.0
    assert s.precision[2] == pytest.approx(0.5)
    assert s.f1[2] == pytest.approx(2 * 0.5 / 1.5)
    # keep_zero_scores restores the reference: each all-zero spatial/contacting row still emits
    # predicate 0 (looking_at) at score 0 -> 6 candidates; the contacting ones (person -> cup,
    # looking_at) hit GT0 as well, the spatial ones (cup -> person) do not. P@5 = 1 / 5.
    s0 = run(gt, pred, keep_zero_scores=True)
    assert s0.recall[5] == 1.0
    assert s0.precision[5] == pytest.approx(1 / 5)


def test_many_to_many_one_prediction_hits_two_gt_triplets() -> None:
    # Two GT cups with nearly the same box, both looked at: cup1 [20,0,30,10], cup2 [20,0,30,11]
    # (continuous IoU with the predicted [20,0,30,10] box: 1 and 100/110). One prediction hits both:
    # R@1 = 2/2. One-to-one TP = 1 -> P@1 = 1, F1@1 = 2(1)(1/2)/(3/2) = 2/3.
    gt = AgFrameGT(
        boxes=[[0, 0, 10, 10], [20, 0, 30, 10], [20, 0, 30, 11]],
        labels=[PERSON, CUP, CUP],
        relations=[[0, 1, LOOKING_AT], [0, 2, LOOKING_AT]],
    )
    pred = one_pair_prediction([1, 0, 0], np.zeros(6), np.zeros(17))
    s = run(gt, pred)
    assert s.recall[1] == 1.0
    assert s.precision[1] == 1.0
    assert s.f1[1] == pytest.approx(2 / 3)
    assert evaluate_ag_frame(gt, pred, AgOptions()).pred_to_gt == [[0, 1]]


def test_iou_exactly_half_in_both_conventions() -> None:
    # GT cup [0,0,10,10] vs predicted [0,0,10,5]: continuous 50/100 = 0.5 (hit, >= 0.5); pixel
    # 66/121 = 0.545 (hit). GT [0,0,9,9] vs [0,0,9,4]: pixel 50/100 = 0.5 (hit); continuous
    # 36/81 = 0.444 (miss).
    person = [100, 100, 110, 110]
    for gt_cup, pred_cup, continuous, pixel in (
        ([0, 0, 10, 10], [0, 0, 10, 5], 1.0, 1.0),
        ([0, 0, 9, 9], [0, 0, 9, 4], 0.0, 1.0),
    ):
        gt = AgFrameGT([person, gt_cup], [PERSON, CUP], [[0, 1, LOOKING_AT]])
        pred = one_pair_prediction([1, 0, 0], np.zeros(6), np.zeros(17), boxes=(person, pred_cup))
        assert run(gt, pred, iou_convention="continuous").recall[1] == continuous
        assert run(gt, pred, iou_convention="pixel").recall[1] == pixel


def test_frames_without_gt_are_left_out_and_counted() -> None:
    # Frame A: 1 GT hit (R = 1). Frame B: no GT relation (skipped). Frame C: 1 GT, no prediction
    # (R = 0). R@K = (1 + 0) / 2.
    frames = [
        AgFrameMatches(np.array([LOOKING_AT]), [[0]]),
        AgFrameMatches(np.zeros(0, dtype=np.int64), [[]]),
        AgFrameMatches(np.array([HOLDING]), []),
    ]
    s = summarize_ag(frames, (10,))
    assert s.recall[10] == 0.5
    assert (s.frames, s.frames_without_gt) == (2, 1)
    # a frame with GT but no prediction at all scores 0
    assert summarize_ag([evaluate_ag_frame(GT, None, AgOptions())]).recall[10] == 0.0


def test_mean_recall_variants_differ_each_by_its_definition() -> None:
    # holding (14): frame A 1 of 1 hit, frame B 1 of 3 hit. looking_at (0): frame B 1 of 1 hit.
    # Way 1 (per frame, averaged over frames holding the class): holding (1 + 1/3)/2 = 2/3,
    #   looking_at 1 -> mR = (2/3 + 1) / 26.
    # Way 2 (pooled): holding 2/4 = 1/2, looking_at 1/1 -> mR = (1/2 + 1) / 26.
    frames = [
        AgFrameMatches(np.array([HOLDING]), [[0]]),
        AgFrameMatches(np.array([HOLDING, HOLDING, HOLDING, LOOKING_AT]), [[0], [3], [], []]),
    ]
    s = summarize_ag(frames, (10,))
    assert s.mean_recall_per_frame[10] == pytest.approx((2 / 3 + 1) / 26)
    assert s.mean_recall_pooled[10] == pytest.approx((1 / 2 + 1) / 26)
    assert s.per_predicate_recall_per_frame[10][HOLDING] == pytest.approx(2 / 3)
    assert s.per_predicate_recall_pooled[10][HOLDING] == pytest.approx(1 / 2)


def test_greedy_one_to_one_claims_in_rank_order() -> None:
    # pred0 -> {0, 1} claims 0; pred1 -> {0} finds nothing free; pred2 -> {0, 1} claims 1.
    assert greedy_one_to_one([[0, 1], [0], [0, 1]], 2) == 1
    assert greedy_one_to_one([[0, 1], [0], [0, 1]], 3) == 2


def _ag_graph(index: int, rng: np.random.Generator, n_objects: int) -> SceneGraph:
    objects = [ObjectNode(1, "person", (0.0, 0.0, 50.0, 100.0), PERSON)]
    relations = []
    for k in range(n_objects):
        x = 60.0 + 40 * k
        objects.append(ObjectNode(2 + k, "cup/glass/bottle" if k % 2 else "chair", (x, 10.0, x + 30, 40.0)))
        relations.append(
            Relation(1, 2 + k, ("looking_at", "not_looking_at", "unsure")[rng.integers(3)], group="attention")
        )
        relations.append(Relation(1, 2 + k, ("in_front_of", "beneath", "behind")[rng.integers(3)], group="spatial"))
        relations.append(
            Relation(1, 2 + k, ("holding", "touching", "not_contacting")[rng.integers(3)], group="contacting")
        )
    return SceneGraph(index, index, objects=objects, relations=relations)


def test_replaying_ground_truth_scores_perfectly() -> None:
    rng = np.random.default_rng(0)
    graphs = [_ag_graph(i, rng, n_objects=1 + i % 3) for i in range(12)]
    for constraint in ("with", "semi", "no"):
        opts = AgOptions(constraint=constraint)
        frames = [evaluate_ag_frame(ag_gt_from_graph(g), ag_prediction_from_graph(g), opts) for g in graphs]
        s = summarize_ag(frames)
        for k in opts.ks:
            assert s.recall[k] == 1.0 and s.f1[k] == 1.0 and s.precision[k] == 1.0
        assert s.mean_recall_pooled[100] == pytest.approx(s.mean_recall_per_frame[100])


def test_predcls_takes_gt_boxes_and_labels() -> None:
    # The prediction's cup box is off (IoU 0) and mislabelled; PREDCLS replaces both by the GT
    # object with the same id, SGDET does not.
    gt = _graph([Relation(1, 2, "looking_at", group="attention")])
    pred = _graph([Relation(1, 2, "looking_at", group="attention")], cup_box=(200.0, 200.0, 220.0, 220.0))
    pred.objects[1].label = "chair"
    g = ag_gt_from_graph(gt)
    for mode, expected in (("predcls", 1.0), ("sgcls", 0.0), ("sgdet", 0.0)):
        p = ag_prediction_from_graph(pred, gt=gt, mode=mode)
        assert summarize_ag([evaluate_ag_frame(g, p, AgOptions())]).recall[10] == expected


def test_distributions_drive_no_constraint() -> None:
    # With the full 26-wide vector, no-constraint sees holding (.4) although only touching (.9) was published.
    g = _graph([Relation(1, 2, "holding", group="contacting")])
    published = _graph([Relation(1, 2, "touching", group="contacting", score=0.9)])
    vec = np.zeros(26)
    vec[TOUCHING], vec[HOLDING], vec[LOOKING_AT] = 0.9, 0.4, 1.0
    gt = ag_gt_from_graph(g)
    opts = AgOptions(constraint="no")
    only_relations = ag_prediction_from_graph(published)
    with_dist = ag_prediction_from_graph(published, {(1, 2): vec})
    assert summarize_ag([evaluate_ag_frame(gt, only_relations, opts)]).recall[10] == 0.0
    assert summarize_ag([evaluate_ag_frame(gt, with_dist, opts)]).recall[10] == 1.0


def test_shuffled_attention_labels_score_at_chance() -> None:
    # 300 frames, one person and one chair, GT attention label uniform over 3 classes; predictions carry
    # a random permutation of the GT labels across frames. A frame is hit when its permuted label equals
    # its own: chance = sum_c p_c^2 ~= 1/3; with N = 300 the standard error is ~0.027, assert +-5 SE.
    rng = np.random.default_rng(7)
    labels = rng.integers(3, size=300)
    shuffled = rng.permutation(labels)
    names = ("looking_at", "not_looking_at", "unsure")
    frames = []
    for i, (a, b) in enumerate(zip(labels, shuffled, strict=True)):
        gt = _graph([Relation(1, 2, names[a], group="attention")])
        pred = _graph([Relation(1, 2, names[b], group="attention")])
        gt.frame_index = pred.frame_index = i
        frames.append(evaluate_ag_frame(ag_gt_from_graph(gt), ag_prediction_from_graph(pred), AgOptions()))
    p = np.bincount(labels, minlength=3) / len(labels)
    chance = float(np.sum(p**2))
    se = np.sqrt(chance * (1 - chance) / len(labels))
    assert abs(summarize_ag(frames).recall[10] - chance) < 5 * se


def test_bad_input_is_refused_with_the_field_named() -> None:
    with pytest.raises(ValueError, match="spatial scores must have shape"):
        AgFramePrediction(
            [[0, 0, 1, 1], [0, 0, 1, 1]], [0, 1], [1, 1], [[0, 1]], [[1, 0, 0]], [[1, 0]], np.zeros((1, 17))
        )
    with pytest.raises(ValueError, match="not logits"):
        one_pair_prediction([2.0, -1.0, 0.5], np.zeros(6), np.zeros(17))
    with pytest.raises(ValueError, match="outside"):
        AgFrameGT([[0, 0, 1, 1]], [0], [[0, 3, 0]])
    with pytest.raises(ValueError, match="constraint"):
        AgOptions(constraint="loose")  # type: ignore[arg-type]
