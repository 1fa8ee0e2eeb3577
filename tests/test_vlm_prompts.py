"""Schema, prompt layout, image budget, grammar and id assembly (no model needed; xgrammar for grammar checks)."""

from __future__ import annotations

import numpy as np
import pytest

from vsgg_ros.codec.toon import ToonGraph, ToonObject, ToonRelation, ToonSchema, decode_toon, encode_toon
from vsgg_ros.graph import Frame, Track, Vocabulary
from vsgg_ros.vlm.assembly import StableIds, match_tracks, relations_for
from vsgg_ros.vlm.backends.base import BackendReply
from vsgg_ros.vlm.grammar import toon_grammar
from vsgg_ros.vlm.predictor import VlmPredictor
from vsgg_ros.vlm.prompts import VlmRequest, fit_image, system_prompt, user_text
from vsgg_ros.vlm.schema import build_schema
from vsgg_ros.vocab import load_vocabulary

TOY = Vocabulary("toy", ("person", "cup", "dining table"), ("holding", "in front of"))


def test_schemas_spell_labels_as_toon_and_need_a_vocabulary() -> None:
    closed = build_schema("closed", TOY)
    assert closed.objects == ("person", "cup", "dining-table") and closed.predicates == ("holding", "in-front-of")
    ag = build_schema("ag", load_vocabulary("ag"))
    assert ag.toon is ToonSchema.AG and [g for g, _ in ag.group_predicates] == ["attention", "spatial", "contacting"]
    assert "cup/glass/bottle" in ag.objects
    assert build_schema("open").vocabulary is None
    with pytest.raises(ValueError, match="needs a vocabulary"):
        build_schema("closed")
    with pytest.raises(ValueError, match="must be one of"):
        build_schema("psg", TOY)
    with pytest.raises(ValueError, match="lacks the AG predicate groups"):
        build_schema("ag", TOY)


def test_static_instructions_come_first_and_the_previous_graph_last() -> None:
    schema = build_schema("closed", TOY)
    system = system_prompt(schema)
    assert "dining-table" in system and "in-front-of" in system and "<answer>" in system
    assert system == system_prompt(build_schema("closed", TOY))  # identical prefix for every frame
    request = VlmRequest("r", system, np.zeros((28, 56, 3), np.uint8), user_text((56, 28), "obj[0]{...}:"))
    sys_msg, user = request.openai_messages()
    assert sys_msg == {"role": "system", "content": system}
    assert [part["type"] for part in user["content"]] == ["image_url", "text"]
    text = user["content"][1]["text"]
    assert text.startswith("Image size: 56x28.") and text.index("Previous frame scene graph (TOON):") < text.index(
        "obj[0]"
    )
    assert "Previous frame" not in user_text((56, 28), None)


def test_fit_image_respects_the_pixel_budget_and_patch_grid() -> None:
    out = fit_image(np.zeros((480, 640, 3), np.uint8), 28 * 28 * 100, 28)
    h, w = out.shape[:2]
    assert h % 28 == 0 and w % 28 == 0 and h * w <= 28 * 28 * 100
    assert abs(w / h - 640 / 480) < 0.2
    small = np.zeros((56, 84, 3), np.uint8)
    assert fit_image(small, 10**6, 28) is small
    with pytest.raises(ValueError, match="HxWx3"):
        fit_image(np.zeros((10, 10), np.uint8), 1000)


xgr = pytest.importorskip("xgrammar")
from xgrammar.testing import _is_grammar_accept_string as accepts  # noqa: E402


def _graph(schema: ToonSchema, relations: tuple[ToonRelation, ...]) -> ToonGraph:
    objects = (ToonObject(1, "person", (0, 0, 30, 40)), ToonObject(2, "cup", (31, 20, 56, 28)))
    return ToonGraph(schema, objects, relations)


def test_grammar_accepts_encoded_graphs_and_rejects_count_id_label_and_range_errors() -> None:
    g = xgr.Grammar.from_ebnf(toon_grammar(build_schema("closed", TOY), 3, 2, (56, 48)))
    text = encode_toon(_graph(ToonSchema.GENERIC, (ToonRelation(1, "in-front-of", 2),)))
    assert accepts(g, f"<answer>\n{text}\n</answer>")
    assert accepts(g, "<answer>\nobj[0]{id,name,x1,y1,x2,y2}:\nrel[0]{subj,pred,obj}:\n</answer>")
    bad = {
        "count": text.replace("obj[2]", "obj[3]"),
        "id order": text.replace("  2,cup", "  3,cup"),
        "relation id": text.replace("1,in-front-of,2", "1,in-front-of,3"),
        "self-loop": text.replace("1,in-front-of,2", "2,in-front-of,2"),
        "label": text.replace("cup", "mug"),
        "x range": text.replace("31,20,56", "31,20,57"),
        "y range": text.replace("0,0,30,40", "0,0,30,49"),
        "leading zero": text.replace("31,20", "031,20"),
    }
    for why, variant in bad.items():
        assert not accepts(g, f"<answer>\n{variant}\n</answer>"), why


def test_ag_and_ordered_grammars() -> None:
    ag = xgr.Grammar.from_ebnf(toon_grammar(build_schema("ag", load_vocabulary("ag")), 2, 1, (64, 48)))
    rel = (ToonRelation(1, "looking_at", 2, "attention"), ToonRelation(1, "in_front_of", 2, "spatial"))
    text = encode_toon(
        ToonGraph(
            ToonSchema.AG,
            (ToonObject(1, "person", (0, 0, 30, 40)), ToonObject(2, "cup/glass/bottle", (1, 2, 3, 4))),
            rel,
        )
    )
    assert accepts(ag, f"<answer>\n{text}\n</answer>")
    assert not accepts(ag, f"<answer>\n{text.replace('[looking_at]', '[holding]')}\n</answer>")  # wrong group
    ordered = xgr.Grammar.from_ebnf(toon_grammar(build_schema("closed", TOY), 1, 0, (8, 6), ordered_boxes=True))
    head = "<answer>\nobj[1]{id,name,x1,y1,x2,y2}:\n  1,cup,"
    tail = "\nrel[0]{subj,pred,obj}:\n</answer>"
    assert accepts(ordered, head + "2,3,8,6" + tail)
    assert not accepts(ordered, head + "5,3,5,6" + tail) and not accepts(ordered, head + "2,3,4,3" + tail)
    with pytest.raises(ValueError, match="ordered boxes"):
        toon_grammar(build_schema("closed", TOY), 1, 0, (640, 480), ordered_boxes=True)


def test_vlm_boxes_map_to_tracks_and_stable_ids_persist_without_a_tracker() -> None:
    tracks = [Track(7, (100, 100, 200, 200)), Track(9, (0, 0, 50, 50))]
    assert match_tracks([(2, 1, 49, 52), (300, 300, 310, 310), (105, 95, 200, 210)], tracks, 0.3) == {0: 9, 2: 7}
    ids = StableIds(min_iou=0.3)
    first = ids.assign(["person", "cup"], [(0, 0, 10, 10), (20, 20, 30, 30)])
    assert first == [1, 2]
    from vsgg_ros.vlm.assembly import VlmObject

    ids.remember([VlmObject(1, "person", 0, (0, 0, 10, 10)), VlmObject(2, "cup", 1, (20, 20, 30, 30))])
    # cup moved a little (kept id 2), person became a "table" (new id), a new person appears
    assert ids.assign(["cup", "table", "person"], [(21, 20, 31, 30), (0, 0, 10, 10), (40, 40, 50, 50)]) == [2, 3, 4]


def test_relations_are_rekeyed_and_unmapped_ends_dropped() -> None:
    result = decode_toon(
        "obj[3]{id,name,x1,y1,x2,y2}:\n  1,person,0,0,9,9\n  2,cup,1,1,5,5\n  3,cup,2,2,6,6\n"
        "rel[2]{subj,pred,obj}:\n  1,holding,2\n  1,holding,3",
        vocabulary=TOY,
    )
    rels = relations_for(result, build_schema("closed", TOY), {1: 40, 2: 41})
    assert [(r.subject_id, r.object_id, r.predicate, r.predicate_id) for r in rels] == [(40, 41, "holding", 0)]


class Scripted:
    """A backend double that replays fixed texts (tests the predictor, not a model)."""

    model_id = "scripted"

    def __init__(self, texts: list[str]) -> None:
        self.texts, self.requests = texts, []

    def generate(self, request: VlmRequest) -> BackendReply:
        self.requests.append(request)
        return BackendReply(self.texts.pop(0), "stop", 0.0)

    def close(self) -> None:
        pass


def test_predictor_scales_boxes_back_and_objects_only_policy() -> None:
    answer = (
        "<answer>\nobj[2]{id,name,x1,y1,x2,y2}:\n  1,person,0,0,28,28\n  2,cup,28,0,56,28\n"
        "rel[1]{subj,pred,obj}:\n  1,holding,2\n</answer>"
    )
    backend = Scripted([answer, "nothing"])
    predictor = VlmPredictor(backend, build_schema("closed", TOY), max_pixels=56 * 28, on_failure="objects_only")
    frame = Frame(0, 0, np.zeros((56, 112, 3), np.uint8))  # prompt image is 56x28: boxes scale by 2
    tracks = [Track(5, (0, 0, 56, 56)), Track(6, (56, 0, 112, 56))]
    p = predictor.predict(frame, tracks)
    assert backend.requests[0].image.shape == (28, 56, 3)
    assert {k: v.label for k, v in p.labels.items()} == {5: "person", 6: "cup"}
    assert [(r.subject_id, r.object_id) for r in p.relations] == [(5, 6)]
    failed = predictor.predict(Frame(1, 1, frame.image), tracks)
    assert failed.relations == [] and failed.frame_index == 1
    assert predictor.stats.as_dict()["failure_rate"] == 0.5
