"""RAM's reliability, grounding score and decisions (paper eqs. 1-2), and PLA-style weak labels."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("torch", reason="the PALS training package needs the training extra (torch)")

from vsgg_training.pals.data import FrameObjects, _class_match, _propagate
from vsgg_training.pals.ram import grounding_scores, ram_select, relation_query, reliability


def test_reliability_of_a_point_and_of_a_uniform_map() -> None:
    point = np.zeros((4, 4))
    point[1, 2] = 1.0
    assert reliability(point, stride=1) == pytest.approx(1.0)
    # uniform 2x2, stride 1: cell centres 0.5/1.5, variance 0.25 per axis -> sigma = sqrt(0.5);
    # r = exp(-0.707107 / sqrt(8)) = exp(-0.25)
    assert reliability(np.ones((2, 2)), stride=1) == pytest.approx(math.exp(-0.25))
    # the same map read at 8 pixels per cell: sigma = 8 * 0.707107, r = exp(-2)
    assert reliability(np.ones((2, 2)), stride=8) == pytest.approx(math.exp(-2.0))


def test_grounding_score_is_concentration_times_sigmoid_density() -> None:
    a = np.zeros((4, 4))
    a[1, 1] = 0.6
    a[3, 3] = 0.4
    boxes = np.array([[1.0, 1.0, 2.0, 2.0], [0.0, 0.0, 4.0, 4.0]])
    # box 1 holds 0.6 of 1.0 over area 1: 0.6 * sigmoid(0.6); the whole map: 1.0 * sigmoid(1/16)
    expected = [0.6 / (1 + math.exp(-0.6)), 1.0 / (1 + math.exp(-1 / 16))]
    assert grounding_scores(a, boxes, stride=1).tolist() == pytest.approx(expected)


def test_ram_decisions() -> None:
    cands = np.array([[8.0, 8.0, 16.0, 16.0], [200.0, 150.0, 208.0, 158.0]])
    blob = np.zeros((30, 40))
    blob[1, 1] = 1.0
    assert ram_select(blob, cands, stride=8) == ("grounded", [0])
    assert ram_select(np.ones((30, 40)), cands, stride=8) == ("class", [0, 1])  # spread map: r ~ 0.1
    elsewhere = np.zeros((30, 40))
    elsewhere[25, 5] = 1.0
    assert ram_select(elsewhere, cands, stride=8) == ("discard", [])  # reliable, but on no candidate
    assert ram_select(blob, cands[:0], stride=8) == ("discard", [])


def test_relation_queries() -> None:
    assert relation_query("person", "holding", "cup/glass/bottle", "object") == "cup that the person is holding"
    assert relation_query("person", "sitting_on", "chair", "subject") == "person that is sitting on the chair"


def _objs(boxes: list[list[float]], labels: list[int], scores: list[float]) -> FrameObjects:
    n = len(labels)
    return FrameObjects(np.array(boxes, np.float32), np.array(labels), np.array(scores, np.float32), np.arange(n))


def test_class_matching_takes_top_person_and_every_same_class_object() -> None:
    # person=0, cup=10 in AG order; two persons, two cups, one table (31)
    dets = _objs([[0, 0, 9, 9]] * 5, [0, 0, 10, 10, 31], [0.6, 0.9, 0.5, 0.5, 0.9])
    assert _class_match(dets, ["person", "holding", "cup/glass/bottle"]) == ([1], [2, 3])
    # spatial triplets point at the person; the pair is still (person, thing)
    assert _class_match(dets, ["table", "in_front_of", "person"]) == ([1], [4])


def test_propagation_needs_same_class_and_iou() -> None:
    src = _objs([[0, 0, 10, 10], [20, 20, 30, 30]], [0, 10], [0.9, 0.9])
    moved = _objs([[1, 0, 11, 10], [21, 20, 31, 30]], [0, 10], [0.9, 0.9])
    relabelled = _objs([[1, 0, 11, 10], [21, 20, 31, 30]], [0, 31], [0.9, 0.9])
    far = _objs([[1, 0, 11, 10], [40, 40, 50, 50]], [0, 10], [0.9, 0.9])
    labels = {(0, 1): np.ones(26, np.float32)}
    assert list(_propagate(src, moved, labels)) == [(0, 1)]
    assert _propagate(src, relabelled, labels) == {}
    assert _propagate(src, far, labels) == {}
