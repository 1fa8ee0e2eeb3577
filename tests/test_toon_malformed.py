"""Malformed model output: each case names the issues the decoder must report and what survives.

Every row is (id, text, decoder kwargs, expected issue kinds, surviving object ids, surviving
relation triplets). The kinds must match exactly, so a case also fails on spurious issues.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
import toon_format

from vsgg_ros.codec.toon import IssueKind as K
from vsgg_ros.codec.toon import OovPolicy, Severity, ToonSchema, decode_toon, is_strictly_valid
from vsgg_ros.graph import PredicateGroup, Vocabulary

OBJ = """obj[3]{id,name,x1,y1,x2,y2}:
  1,person,10,20,110,220
  2,cup,50,60,90,100
  3,table,0,150,300,240"""
REL = """rel[2]{subj,pred,obj}:
  1,holding,2
  2,on,3"""
GOOD = OBJ + "\n" + REL
ALL = {1, 2, 3}
BOTH = {(1, "holding", 2), (2, "on", 3)}

AG_OBJ = """obj[3]{id,name,x1,y1,x2,y2}:
  1,person,24,71,259,268
  2,table,222,143,479,244
  3,chair,56,179,249,269"""
AG_HEADER = "rel_pairs[2]{subj,attention,spatial,contacting,obj}:"
AG_ROW_2 = "  1,[unsure],[in_front_of],[not_contacting],2"
AG_ROW_3 = "  1,[not_looking_at],[beneath,behind],[sitting_on,leaning_on],3"
AG_GOOD = "\n".join([AG_OBJ, AG_HEADER, AG_ROW_2, AG_ROW_3])
AG_ALL = {
    (1, "unsure", 2),
    (1, "in_front_of", 2),
    (1, "not_contacting", 2),
    (1, "not_looking_at", 3),
    (1, "beneath", 3),
    (1, "behind", 3),
    (1, "sitting_on", 3),
    (1, "leaning_on", 3),
}
AG_ROW3_ONLY = {t for t in AG_ALL if t[2] == 3}

VOCAB = Vocabulary("mini", ("person", "cup", "table"), ("holding", "on", "in front of"))
AG_VOCAB = Vocabulary(
    "ag-mini",
    ("person", "table", "chair"),
    (
        *("looking_at", "not_looking_at", "unsure"),
        *("above", "beneath", "in_front_of", "behind", "on_the_side_of", "in"),
        *("holding", "leaning_on", "not_contacting", "sitting_on", "touching"),
    ),
    groups=(PredicateGroup("attention", 0, 3), PredicateGroup("spatial", 3, 9), PredicateGroup("contacting", 9, 14)),
)
AG = {"schema": ToonSchema.AG}
AGV = {"schema": ToonSchema.AG, "vocabulary": AG_VOCAB}


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    kinds: set[K]
    objects: set[int]
    relations: set[tuple[int, str, int]]
    kwargs: dict[str, Any] = field(default_factory=dict)


def _sub(old: str, new: str, text: str = GOOD) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


CASES = [
    Case("clean", GOOD, set(), ALL, BOTH),
    Case("answer-tags", f"<answer>\n{GOOD}\n</answer>", {K.ANSWER_TAGS}, ALL, BOTH),
    Case(
        "think-then-answer",
        f"<think>A person holds a cup.\nobj[9] maybe?</think>\n<answer>\n{GOOD}\n</answer>",
        {K.THINK_BLOCK, K.ANSWER_TAGS},
        ALL,
        BOTH,
    ),
    Case("think-closing-tag-only", f"The cup is on the table.\n</think>\n\n{GOOD}", {K.THINK_BLOCK}, ALL, BOTH),
    Case("think-never-closed", "<think>The image shows a person and", {K.UNCLOSED_THINK, K.EMPTY_OUTPUT}, set(), set()),
    Case(
        "multiple-answers-last-with-obj",
        "<answer>\nobj[1]{id,name,x1,y1,x2,y2}:\n  1,dog,0,0,5,5\nrel[0]{subj,pred,obj}:\n</answer>\n"
        f"Let me correct that.\n<answer>\n{GOOD}\n</answer>\n<answer>done</answer>",
        {K.ANSWER_TAGS, K.MULTIPLE_ANSWERS},
        ALL,
        BOTH,
    ),
    Case("code-fence", f"```toon\n{GOOD}\n```", {K.CODE_FENCE}, ALL, BOTH),
    Case(
        "fence-and-prose-in-answer",
        f"<answer>\nHere is the scene graph:\n```\n{GOOD}\n```\n</answer>",
        {K.ANSWER_TAGS, K.CODE_FENCE, K.UNEXPECTED_LINE},
        ALL,
        BOTH,
    ),
    Case("empty", "", {K.EMPTY_OUTPUT}, set(), set()),
    Case("whitespace-only", "  \n\t\n", {K.EMPTY_OUTPUT}, set(), set()),
    Case("empty-answer", "<answer>\n</answer>", {K.ANSWER_TAGS, K.EMPTY_OUTPUT}, set(), set()),
    Case("prose-no-table", "I cannot see any objects.", {K.UNEXPECTED_LINE, K.NO_OBJ_TABLE}, set(), set()),
    Case(
        "cut-mid-row-in-answer",
        "<answer>\n" + OBJ[: OBJ.index("3,table,0,15") + len("3,table,0,15")],
        {K.ANSWER_TAGS, K.UNCLOSED_ANSWER, K.TRUNCATED_ROW, K.NO_REL_TABLE},
        {1, 2},
        set(),
    ),
    Case(
        "unclosed-answer-last-row-without-newline",
        "<answer>\n" + GOOD[: GOOD.rindex("3")] + "3",
        {K.ANSWER_TAGS, K.UNCLOSED_ANSWER, K.TRUNCATED_ROW},
        ALL,
        {(1, "holding", 2)},
    ),
    Case("cut-mid-row-untagged", GOOD[: GOOD.rindex(",")], {K.TRUNCATED_ROW}, ALL, {(1, "holding", 2)}),
    Case("obj-header-cut", "obj[3]{id,name,x1,y1", {K.HEADER_TRUNCATED}, set(), set()),
    Case("rel-header-cut", OBJ + "\nrel[2]{subj,pr", {K.HEADER_TRUNCATED}, ALL, set()),
    Case("rel-header-cut-before-colon", OBJ + "\nrel[2]{subj,pred,obj}", {K.HEADER_TRUNCATED}, ALL, set()),
    Case("fewer-rows-than-declared", _sub("obj[3]", "obj[4]"), {K.ROW_COUNT_MISMATCH}, ALL, BOTH),
    Case("more-rows-than-declared", _sub("rel[2]", "rel[1]"), {K.ROW_COUNT_MISMATCH}, ALL, BOTH),
    Case(
        "row-too-many-fields",
        _sub("2,cup,50,60,90,100", "2,cup,50,60,90,100,0.9"),
        {K.FIELD_COUNT, K.DANGLING_RELATION},
        {1, 3},
        set(),
    ),
    Case(
        "row-too-few-fields-closed-answer",
        "<answer>\n" + _sub("2,cup,50,60,90,100", "2,cup,50,60,90") + "\n</answer>",
        {K.ANSWER_TAGS, K.FIELD_COUNT, K.DANGLING_RELATION},
        {1, 3},
        set(),
    ),
    Case(
        "unterminated-quote-mid-table",
        _sub("2,cup,50", '2,"cup,50'),
        {K.FIELD_COUNT, K.UNKNOWN_OBJECT_ID},
        {1, 3},
        set(),
    ),
    Case("non-integer-box", _sub("2,cup,50,60,90", "2,cup,50.4,60,89.6"), {K.NON_INTEGER}, ALL, BOTH),
    Case(
        "non-numeric-box",
        _sub("2,cup,50,60", "2,cup,50,sixty"),
        {K.NON_NUMERIC, K.DANGLING_RELATION},
        {1, 3},
        set(),
    ),
    Case(
        "non-integer-id",
        _sub("3,table", "3.5,table"),
        {K.NON_INTEGER, K.UNKNOWN_OBJECT_ID},
        {1, 2},
        {(1, "holding", 2)},
    ),
    Case(
        "box-x2-not-after-x1",
        _sub("2,cup,50,60,90", "2,cup,90,60,50"),
        {K.BAD_BOX, K.DANGLING_RELATION},
        {1, 3},
        set(),
    ),
    Case(
        "box-zero-height",
        _sub("3,table,0,150,300,240", "3,table,0,150,300,150"),
        {K.BAD_BOX, K.DANGLING_RELATION},
        {1, 2},
        {(1, "holding", 2)},
    ),
    Case(
        "box-outside-image-clamped",
        _sub("3,table,0,150,300,240", "3,table,0,150,330,250"),
        {K.OUT_OF_BOUNDS},
        ALL,
        BOTH,
        {"image_size": (320, 240)},
    ),
    Case("negative-coordinate-clamped", _sub("1,person,10", "1,person,-5"), {K.OUT_OF_BOUNDS}, ALL, BOTH),
    Case(
        "duplicate-object-id",
        _sub("obj[3]", "obj[4]", _sub("  3,table", "  2,bottle,1,1,9,9\n  3,table")),
        {K.DUPLICATE_OBJECT_ID},
        ALL,
        BOTH,
    ),
    Case(
        "ids-not-1-to-n",
        _sub("3,table", "5,table", _sub("2,on,3", "2,on,5")),
        {K.NON_SEQUENTIAL_IDS},
        {1, 2, 5},
        {(1, "holding", 2), (2, "on", 5)},
    ),
    Case("relation-to-unknown-id", _sub("2,on,3", "2,on,7"), {K.UNKNOWN_OBJECT_ID}, ALL, {(1, "holding", 2)}),
    Case("self-loop", _sub("2,on,3", "2,on,2"), {K.SELF_LOOP}, ALL, {(1, "holding", 2)}),
    Case("duplicate-relation", _sub("  2,on,3", "  1,holding,2"), {K.DUPLICATE_RELATION}, ALL, {(1, "holding", 2)}),
    Case(
        "oov-object-kept",
        _sub("2,cup", "2,spaceship"),
        {K.OOV_OBJECT},
        ALL,
        BOTH,
        {"vocabulary": VOCAB},
    ),
    Case(
        "oov-object-dropped",
        _sub("2,cup", "2,spaceship"),
        {K.OOV_OBJECT, K.DANGLING_RELATION},
        {1, 3},
        set(),
        {"vocabulary": VOCAB, "oov": OovPolicy.DROP},
    ),
    Case(
        "oov-predicate-kept",
        _sub("2,on,3", "2,levitating-over,3"),
        {K.OOV_PREDICATE},
        ALL,
        {(1, "holding", 2), (2, "levitating-over", 3)},
        {"vocabulary": VOCAB},
    ),
    Case(
        "oov-predicate-dropped",
        _sub("2,on,3", "2,levitating-over,3"),
        {K.OOV_PREDICATE},
        ALL,
        {(1, "holding", 2)},
        {"vocabulary": VOCAB, "oov": "drop"},
    ),
    Case(
        "wrong-obj-field-names",
        _sub("{id,name,", "{id,label,"),
        {K.WRONG_FIELDS, K.DANGLING_RELATION},
        set(),
        set(),
    ),
    Case(
        "obj-fields-reordered",
        "obj[2]{id,x1,y1,x2,y2,name}:\n  1,10,20,110,220,person\n  2,50,60,90,100,cup\n"
        "rel[1]{subj,pred,obj}:\n  1,holding,2",
        {K.WRONG_FIELDS},
        {1, 2},
        {(1, "holding", 2)},
    ),
    Case(
        "obj-header-without-fields",
        _sub("obj[3]{id,name,x1,y1,x2,y2}:", "obj[3]:"),
        {K.WRONG_FIELDS, K.DANGLING_RELATION},
        set(),
        set(),
    ),
    Case(
        "names-not-hyphenated",
        _sub("1,person", "1,Person", _sub("2,on,3", "2,in front of,3")),
        {K.NAME_SPELLING},
        ALL,
        {(1, "holding", 2), (2, "in-front-of", 3)},
    ),
    Case("empty-name", _sub("2,cup", '2,""'), {K.BAD_NAME, K.DANGLING_RELATION}, {1, 3}, set()),
    Case("unexpected-table", GOOD + "\nattr[1]{id,color}:\n  2,red", {K.UNEXPECTED_TABLE}, ALL, BOTH),
    Case(
        "repeated-obj-table",
        OBJ + "\n" + OBJ.replace("person", "dog") + "\n" + REL,
        {K.DUPLICATE_TABLE},
        ALL,
        BOTH,
    ),
    Case("blank-line-between-tables", OBJ + "\n\n" + REL, {K.BLANK_LINE}, ALL, BOTH),
    Case("rows-not-indented", GOOD.replace("\n  ", "\n"), {K.INDENTATION}, ALL, BOTH),
    Case(
        "row-on-header-line", OBJ + "\nrel[1]{subj,pred,obj}: 1,holding,2", {K.HEADER_SYNTAX}, ALL, {(1, "holding", 2)}
    ),
    Case("pipe-delimiter", GOOD.replace(",", "|").replace("]{", "|]{"), {K.HEADER_SYNTAX}, ALL, BOTH),
    Case(
        "broken-header-mid-text",
        _sub("{id,name,x1,y1,x2,y2}:", "{id,name,x1,y1,x2,y2"),
        {K.BAD_HEADER, K.DANGLING_RELATION},
        set(),
        set(),
    ),
    Case("no-rel-table", OBJ, {K.NO_REL_TABLE}, ALL, set()),
    Case("rows-indented-too-deep", GOOD.replace("\n  ", "\n    "), {K.INVALID_TOON}, ALL, BOTH),
    # Action Genome
    Case("ag-scenegraphvlm-form", AG_GOOD, set(), {1, 2, 3}, AG_ALL, AGV),
    Case(
        "ag-label-in-wrong-group",
        _sub("[sitting_on,leaning_on]", "[sitting_on,beneath]", _sub("[beneath,behind]", "[behind]", AG_GOOD)),
        {K.WRONG_GROUP},
        {1, 2, 3},
        AG_ALL - {(1, "leaning_on", 3)},
        AGV,
    ),
    Case(
        "ag-subject-not-person",
        _sub(AG_ROW_3, "  2,[],[beneath],[],3", AG_GOOD),
        {K.SUBJECT_NOT_PERSON},
        {1, 2, 3},
        AG_ALL - AG_ROW3_ONLY,
        AG,
    ),
    Case(
        "ag-list-not-bracketed",
        _sub("[unsure]", "unsure", AG_GOOD),
        {K.LIST_SYNTAX},
        {1, 2, 3},
        AG_ALL,
        AGV,
    ),
    Case(
        "ag-quoted-labels-in-list",
        _sub("[beneath,behind]", '["beneath","behind"]', AG_GOOD),
        {K.LIST_SYNTAX},
        {1, 2, 3},
        AG_ALL,
        AG,
    ),
    Case(
        "ag-too-many-attention-labels",
        _sub("[unsure]", "[unsure,looking_at]", AG_GOOD),
        {K.TOO_MANY_LABELS},
        {1, 2, 3},
        AG_ALL | {(1, "looking_at", 2)},
        AGV,
    ),
    Case(
        "ag-pair-repeated",
        _sub(AG_HEADER, AG_HEADER.replace("[2]", "[3]"), AG_GOOD) + "\n  1,[],[],[touching,sitting_on],3",
        {K.DUPLICATE_PAIR, K.DUPLICATE_RELATION},
        {1, 2, 3},
        AG_ALL | {(1, "touching", 3)},
        AGV,
    ),
    Case("ag-empty-pair", _sub(AG_ROW_2, "  1,[],[],[],2", AG_GOOD), {K.EMPTY_PAIR}, {1, 2, 3}, AG_ROW3_ONLY, AG),
    Case(
        "ag-oov-predicate",
        _sub("[unsure]", "[daydreaming]", AG_GOOD),
        {K.OOV_PREDICATE},
        {1, 2, 3},
        AG_ALL - {(1, "unsure", 2)} | {(1, "daydreaming", 2)},
        AGV,
    ),
    Case(
        "ag-generic-rel-table",
        AG_OBJ + "\nrel[1]{subj,pred,obj}:\n  1,holding,2",
        {K.UNEXPECTED_TABLE, K.NO_REL_TABLE},
        {1, 2, 3},
        set(),
        AG,
    ),
    Case(
        "ag-cut-inside-list",
        "<answer>\n" + AG_GOOD[: AG_GOOD.index("[beneath,beh") + len("[beneath,beh")],
        {K.ANSWER_TAGS, K.UNCLOSED_ANSWER, K.TRUNCATED_ROW},
        {1, 2, 3},
        AG_ALL - AG_ROW3_ONLY,
        AG,
    ),
    Case(
        "ag-relation-to-unknown-object",
        _sub(AG_ROW_3, "  1,[looking_at],[],[],9", AG_GOOD),
        {K.UNKNOWN_OBJECT_ID},
        {1, 2, 3},
        AG_ALL - AG_ROW3_ONLY,
        AG,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_malformed_output(case: Case) -> None:
    result = decode_toon(case.text, **case.kwargs)
    assert result.kinds == case.kinds, [(i.kind.value, i.message) for i in result.issues]
    assert {o.id for o in result.objects} == case.objects
    assert {(r.subj, r.pred, r.obj) for r in result.relations} == case.relations
    assert result.strictly_valid == all(kind.severity is not Severity.ERROR for kind in case.kinds)
    lines = case.text.count("\n") + 1
    for issue in result.issues:
        assert issue.message
        assert issue.line is None or 1 <= issue.line <= lines


def test_enough_cases_cover_every_issue_kind() -> None:
    assert len([case for case in CASES if case.kinds]) >= 25
    assert {kind for case in CASES for kind in case.kinds} == set(K)


def _issue(text: str, kind: K, **kwargs: Any) -> Any:
    return next(issue for issue in decode_toon(text, **kwargs).issues if issue.kind is kind)


def test_cut_header_is_the_root_string_trap() -> None:
    """toon-format itself decodes a cut header to a plain string; the decoder must not accept that."""
    text = "obj[3]{id,name,x1,y1"
    assert toon_format.loads(text) == text
    assert toon_format.loads(text, strict=False) == text
    issue = _issue(text, K.HEADER_TRUNCATED)
    assert issue.line == 1 and "cut off" in issue.message


def test_issues_point_at_the_original_line_and_row() -> None:
    text = "<think>\nthinking\n</think>\n<answer>\n" + _sub("2,cup,50,60,90", "2,cup,90,60,50") + "\n</answer>"
    issue = _issue(text, K.BAD_BOX)
    assert text.splitlines()[issue.line - 1].strip() == "2,cup,90,60,50,100"
    assert issue.row == 2
    assert "object 2 dropped" in issue.message


def test_repairs_are_applied_and_described() -> None:
    clamped = decode_toon(_sub("3,table,0,150,300,240", "3,table,0,150,330,250"), image_size=(320, 240))
    assert clamped.objects[2].box == (0, 150, 320, 240)
    assert (
        "clamped to (0, 150, 320, 240)"
        in _issue(GOOD.replace("300,240", "330,250"), K.OUT_OF_BOUNDS, image_size=(320, 240)).message
    )
    rounded = decode_toon(_sub("2,cup,50,60,90", "2,cup,50.4,60,89.6"))
    assert rounded.objects[1].box == (50, 60, 90, 100)
    moved = decode_toon(_sub("[sitting_on,leaning_on]", "[sitting_on,beneath]", AG_GOOD), **AGV)
    assert {r.group for r in moved.relations if r.pred == "beneath"} == {"spatial"}
    assert "moved to spatial" in _issue(_sub("[not_contacting]", "[above]", AG_GOOD), K.WRONG_GROUP, **AGV).message
    kept = decode_toon(_sub("2,cup", "2,spaceship"), vocabulary=VOCAB)
    assert kept.objects[1].name == "spaceship" and "kept" in kept.issues[0].message


def test_strict_check_follows_scenegraphvlm_rules() -> None:
    assert is_strictly_valid(GOOD)
    assert is_strictly_valid(f"<answer>\n{GOOD}\n</answer>", require_answer_tags=True)
    assert not is_strictly_valid(GOOD, require_answer_tags=True)
    assert not is_strictly_valid(_sub("3,table,0,150,300,240", "3,table,0,150,641,240"))
    assert is_strictly_valid(_sub("3,table,0,150,300,240", "3,table,0,150,641,240"), image_size=None)
    assert is_strictly_valid(_sub("2,on,3", "2,levitating-over,3"))
    assert not is_strictly_valid(OBJ + "\n\n" + REL)


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="image_size"):
        decode_toon(GOOD, image_size=(0, 480))
    with pytest.raises(ValueError):
        decode_toon(GOOD, schema="psg")
    wrong_groups = Vocabulary(
        "v", ("person",), ("a", "b"), groups=(PredicateGroup("x", 0, 1), PredicateGroup("y", 1, 2))
    )
    with pytest.raises(ValueError, match="groups"):
        decode_toon(AG_GOOD, ToonSchema.AG, vocabulary=wrong_groups)
