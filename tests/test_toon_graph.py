"""SceneGraphVLM TOON schemas: hand-written golden text, encoding, decoding and round trips.

The golden texts below are typed from SceneGraphVLM's README examples and the TOON spec (tabular
arrays §9.3, quoting §7.2), not produced by our encoder; toon-format (the reference library)
checks that each is valid TOON for the document we mean.
"""

from __future__ import annotations

import json
import math

import pytest
import toon_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vsgg_ros.codec.toon import (
    IssueKind,
    ToonGraph,
    ToonObject,
    ToonRelation,
    ToonSchema,
    decode_toon,
    encode_toon,
    is_strictly_valid,
    scene_graph_to_toon,
    spell_label,
    toon_json_model,
)
from vsgg_ros.graph import ObjectNode, PredicateGroup, Relation, SceneGraph, Vocabulary

GENERIC_GOLDEN = """\
obj[3]{id,name,x1,y1,x2,y2}:
  1,person,281,272,524,438
  2,umbrella,273,123,640,434
  3,window-other,163,262,195,294
rel[2]{subj,pred,obj}:
  1,in-front-of,3
  3,attached-to,2"""

GENERIC_GRAPH = ToonGraph(
    ToonSchema.GENERIC,
    (
        ToonObject(1, "person", (281, 272, 524, 438)),
        ToonObject(2, "umbrella", (273, 123, 640, 434)),
        ToonObject(3, "window-other", (163, 262, 195, 294)),
    ),
    (ToonRelation(1, "in-front-of", 3), ToonRelation(3, "attached-to", 2)),
)

# SceneGraphVLM's AG example, with each label list as one quoted TOON string (§7.2: brackets and
# the active delimiter force quotes), plus an object with a slash name and empty lists.
AG_GOLDEN = """\
obj[4]{id,name,x1,y1,x2,y2}:
  1,person,24,71,259,268
  2,table,222,143,479,244
  3,chair,56,179,249,269
  4,cup/glass/bottle,200,90,230,140
rel_pairs[3]{subj,attention,spatial,contacting,obj}:
  1,"[unsure]","[in_front_of]","[not_contacting]",2
  1,"[not_looking_at]","[beneath,behind]","[sitting_on,leaning_on]",3
  1,"[looking_at]","[]","[holding]",4"""

# The same graph exactly as SceneGraphVLM's model writes it: bare bracket lists, inside <answer>.
AG_SCENEGRAPHVLM_FORM = """<answer>
obj[4]{id,name,x1,y1,x2,y2}:
  1,person,24,71,259,268
  2,table,222,143,479,244
  3,chair,56,179,249,269
  4,cup/glass/bottle,200,90,230,140
rel_pairs[3]{subj,attention,spatial,contacting,obj}:
  1,[unsure],[in_front_of],[not_contacting],2
  1,[not_looking_at],[beneath,behind],[sitting_on,leaning_on],3
  1,[looking_at],[],[holding],4
</answer>"""

AG_GRAPH = ToonGraph(
    ToonSchema.AG,
    (
        ToonObject(1, "person", (24, 71, 259, 268)),
        ToonObject(2, "table", (222, 143, 479, 244)),
        ToonObject(3, "chair", (56, 179, 249, 269)),
        ToonObject(4, "cup/glass/bottle", (200, 90, 230, 140)),
    ),
    (
        ToonRelation(1, "unsure", 2, "attention"),
        ToonRelation(1, "in_front_of", 2, "spatial"),
        ToonRelation(1, "not_contacting", 2, "contacting"),
        ToonRelation(1, "not_looking_at", 3, "attention"),
        ToonRelation(1, "beneath", 3, "spatial"),
        ToonRelation(1, "behind", 3, "spatial"),
        ToonRelation(1, "sitting_on", 3, "contacting"),
        ToonRelation(1, "leaning_on", 3, "contacting"),
        ToonRelation(1, "looking_at", 4, "attention"),
        ToonRelation(1, "holding", 4, "contacting"),
    ),
)

ATTENTION = ("looking_at", "not_looking_at", "unsure")
SPATIAL = ("above", "beneath", "in_front_of", "behind", "on_the_side_of", "in")
CONTACTING = ("holding", "leaning_on", "not_contacting", "sitting_on")
AG_VOCAB = Vocabulary(
    name="ag",
    objects=("person", "table", "chair", "cup/glass/bottle"),
    predicates=ATTENTION + SPATIAL + CONTACTING,
    groups=(
        PredicateGroup("attention", 0, 3),
        PredicateGroup("spatial", 3, 9),
        PredicateGroup("contacting", 9, 13),
    ),
)


def _object_row(o: ToonObject) -> dict[str, object]:
    return {"id": o.id, "name": o.name, "x1": o.box[0], "y1": o.box[1], "x2": o.box[2], "y2": o.box[3]}


def test_generic_golden_is_the_toon_document_we_mean() -> None:
    expected = {
        "obj": [_object_row(o) for o in GENERIC_GRAPH.objects],
        "rel": [{"subj": 1, "pred": "in-front-of", "obj": 3}, {"subj": 3, "pred": "attached-to", "obj": 2}],
    }
    assert toon_format.loads(GENERIC_GOLDEN) == expected


def test_ag_golden_is_the_toon_document_we_mean() -> None:
    pair = {"subj": 1, "attention": "[unsure]", "spatial": "[in_front_of]", "contacting": "[not_contacting]"}
    assert toon_format.loads(AG_GOLDEN)["rel_pairs"][0] == {**pair, "obj": 2}
    assert toon_format.loads(AG_GOLDEN)["rel_pairs"][2]["spatial"] == "[]"
    assert toon_format.loads(AG_GOLDEN)["obj"] == [_object_row(o) for o in AG_GRAPH.objects]


@pytest.mark.parametrize(("graph", "golden"), [(GENERIC_GRAPH, GENERIC_GOLDEN), (AG_GRAPH, AG_GOLDEN)])
def test_encode_matches_golden(graph: ToonGraph, golden: str) -> None:
    assert encode_toon(graph) == golden


@pytest.mark.parametrize(("graph", "golden"), [(GENERIC_GRAPH, GENERIC_GOLDEN), (AG_GRAPH, AG_GOLDEN)])
def test_decode_golden(graph: ToonGraph, golden: str) -> None:
    result = decode_toon(golden, graph.schema, image_size=(640, 480))
    assert result.graph == graph
    assert result.issues == ()
    assert result.strictly_valid


def test_decode_accepts_scenegraphvlm_bare_bracket_lists() -> None:
    result = decode_toon(AG_SCENEGRAPHVLM_FORM, ToonSchema.AG, vocabulary=AG_VOCAB)
    assert result.graph == AG_GRAPH
    assert result.kinds == {IssueKind.ANSWER_TAGS}
    assert is_strictly_valid(AG_SCENEGRAPHVLM_FORM, ToonSchema.AG, require_answer_tags=True)


def test_bare_bracket_rows_are_not_valid_toon_so_we_quote_them() -> None:
    """Why the encoder quotes: toon-format cannot read SceneGraphVLM's bare multi-label lists."""
    with pytest.raises(toon_format.ToonDecodeError):
        toon_format.loads(AG_SCENEGRAPHVLM_FORM.removeprefix("<answer>\n").removesuffix("\n</answer>"))


def test_empty_tables_keep_their_field_list() -> None:
    assert encode_toon(ToonGraph(ToonSchema.GENERIC)) == "obj[0]{id,name,x1,y1,x2,y2}:\nrel[0]{subj,pred,obj}:"
    text = encode_toon(ToonGraph(ToonSchema.AG, GENERIC_GRAPH.objects[:1]))
    assert text.endswith("\nrel_pairs[0]{subj,attention,spatial,contacting,obj}:")
    assert toon_format.loads(text)["rel_pairs"] == []
    for empty in ("obj[0]:\nrel[0]:", "obj: []\nrel: []"):
        assert decode_toon(empty).issues == ()


def test_scene_graph_to_toon_renumbers_by_track_id_and_covers_boxes() -> None:
    graph = SceneGraph(
        stamp_ns=0,
        frame_index=7,
        objects=[
            ObjectNode(12, "window other", (163.2, 262.0, 194.1, 293.5)),
            ObjectNode(3, "person", (281.9, 272.0, 523.01, 437.9)),
            ObjectNode(8, "umbrella", (273.0, 123.7, 640.0, 434.0)),
        ],
        relations=[
            Relation(3, 12, "in front of"),
            Relation(12, 8, "attached to"),
            Relation(12, 8, "attached to", score=0.5),
            Relation(3, 99, "holding"),
        ],
    )
    toon_graph, track_of = scene_graph_to_toon(graph, image_size=(640, 480))
    assert track_of == {1: 3, 2: 8, 3: 12}
    assert encode_toon(toon_graph) == GENERIC_GOLDEN


def test_scene_graph_to_toon_ag_takes_groups_from_vocabulary() -> None:
    graph = SceneGraph(
        stamp_ns=0,
        frame_index=0,
        objects=[ObjectNode(5, "person", (24, 71, 259, 268)), ObjectNode(9, "cup/glass/bottle", (200, 90, 230, 140))],
        relations=[Relation(5, 9, "holding"), Relation(5, 9, "looking_at", group="attention")],
    )
    toon_graph, _ = scene_graph_to_toon(graph, ToonSchema.AG, vocabulary=AG_VOCAB)
    assert encode_toon(toon_graph).endswith('\n  1,"[looking_at]","[]","[holding]",2')
    with pytest.raises(ValueError, match="no predicate group"):
        scene_graph_to_toon(graph, ToonSchema.AG)


def test_pixel_boxes_clamp_and_stay_one_pixel_wide() -> None:
    graph = SceneGraph(
        stamp_ns=0,
        frame_index=0,
        objects=[ObjectNode(1, "cup", (630.2, -4.0, 700.0, 10.0)), ObjectNode(2, "cup", (640.0, 5.0, 640.0, 5.0))],
    )
    toon_graph, _ = scene_graph_to_toon(graph, image_size=(640, 480))
    assert [o.box for o in toon_graph.objects] == [(630, 0, 640, 10), (639, 5, 640, 6)]


@pytest.mark.parametrize(
    ("graph", "match"),
    [
        (ToonGraph(ToonSchema.GENERIC, (ToonObject(2, "cup", (0, 0, 1, 1)),)), "1..N"),
        (ToonGraph(ToonSchema.GENERIC, (ToonObject(1, "cup", (5, 0, 5, 1)),)), "x1 < x2"),
        (ToonGraph(ToonSchema.GENERIC, (ToonObject(1, "café", (0, 0, 1, 1)),)), "spelling"),
        (ToonGraph(ToonSchema.GENERIC, GENERIC_GRAPH.objects, (ToonRelation(1, "on", 1),)), "self-loop"),
        (ToonGraph(ToonSchema.GENERIC, GENERIC_GRAPH.objects, (ToonRelation(1, "on", 4),)), "unknown"),
        (ToonGraph(ToonSchema.GENERIC, GENERIC_GRAPH.objects, (ToonRelation(1, "on", 2, "spatial"),)), "groups"),
        (ToonGraph(ToonSchema.AG, AG_GRAPH.objects, (ToonRelation(1, "on", 2),)), "AG group"),
        (ToonGraph(ToonSchema.AG, AG_GRAPH.objects, (ToonRelation(2, "in", 3, "spatial"),)), "person"),
        (
            ToonGraph(ToonSchema.GENERIC, GENERIC_GRAPH.objects, (ToonRelation(1, "on", 2), ToonRelation(1, "On", 2))),
            "duplicate",
        ),
    ],
)
def test_encode_refuses_graphs_that_would_be_strictly_invalid(graph: ToonGraph, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        encode_toon(graph)


@pytest.mark.parametrize(
    ("label", "schema", "spelled"),
    [
        ("in front of", ToonSchema.GENERIC, "in-front-of"),
        ("in_front_of", ToonSchema.GENERIC, "in-front-of"),
        ("Sky-Other-Merged", ToonSchema.GENERIC, "sky-other-merged"),
        ("cup/glass/bottle", ToonSchema.GENERIC, "cup-glass-bottle"),
        ("in front of", ToonSchema.AG, "in_front_of"),
        ("Cup / Glass / Bottle", ToonSchema.AG, "cup/glass/bottle"),
        ("have-it-on-the-back", ToonSchema.AG, "have_it_on_the_back"),
    ],
)
def test_spelling(label: str, schema: ToonSchema, spelled: str) -> None:
    assert spell_label(label, schema) == spelled


def test_decode_maps_spellings_onto_vocabulary_labels() -> None:
    vocab = Vocabulary("psg-mini", ("person", "umbrella", "window_other"), ("in front of", "attached to"))
    result = decode_toon(GENERIC_GOLDEN, vocabulary=vocab)
    assert [o.name for o in result.objects] == ["person", "umbrella", "window_other"]
    assert [r.pred for r in result.relations] == ["in front of", "attached to"]
    assert result.issues == ()


def test_compact_json_model_holds_the_same_content() -> None:
    model = toon_json_model(AG_GRAPH)
    assert model["rel_pairs"][1] == {
        "subj": 1,
        "attention": ["not_looking_at"],
        "spatial": ["beneath", "behind"],
        "contacting": ["sitting_on", "leaning_on"],
        "obj": 3,
    }
    compact = json.dumps(model, separators=(",", ":"))
    assert len(encode_toon(AG_GRAPH)) < len(compact)


# -- property tests ------------------------------------------------------------------------------

GENERIC_NAMES = st.from_regex(r"[a-z][a-z0-9]{0,5}(-[a-z0-9]{1,4}){0,2}", fullmatch=True)
AG_NAMES = st.from_regex(r"[a-z][a-z0-9]{0,5}(/[a-z0-9]{1,5}){0,2}", fullmatch=True)
AG_PREDICATES = st.from_regex(r"[a-z][a-z0-9]{0,5}(_[a-z0-9]{1,4}){0,2}", fullmatch=True)
SIZE = (640, 480)


@st.composite
def boxes(draw: st.DrawFn) -> tuple[int, int, int, int]:
    x1 = draw(st.integers(0, SIZE[0] - 1))
    y1 = draw(st.integers(0, SIZE[1] - 1))
    return x1, y1, draw(st.integers(x1 + 1, SIZE[0])), draw(st.integers(y1 + 1, SIZE[1]))


@st.composite
def generic_graphs(draw: st.DrawFn) -> ToonGraph:
    names = draw(st.lists(GENERIC_NAMES, max_size=8))
    objects = tuple(ToonObject(i, name, draw(boxes())) for i, name in enumerate(names, start=1))
    triplets: list[tuple[int, str, int]] = []
    if len(objects) >= 2:
        ids = st.integers(1, len(objects))
        candidates = st.tuples(ids, GENERIC_NAMES, ids).filter(lambda t: t[0] != t[2])
        triplets = draw(st.lists(candidates, max_size=12, unique=True))
    return ToonGraph(ToonSchema.GENERIC, objects, tuple(ToonRelation(s, p, o) for s, p, o in triplets))


@st.composite
def ag_graphs(draw: st.DrawFn) -> ToonGraph:
    others = draw(st.lists(AG_NAMES, max_size=6))
    objects = tuple(ToonObject(i, name, draw(boxes())) for i, name in enumerate(["person", *others], start=1))
    partners = draw(st.lists(st.integers(2, len(objects)), unique=True)) if len(objects) > 1 else []
    relations: list[ToonRelation] = []
    for obj in partners:
        labels = draw(st.lists(AG_PREDICATES, min_size=1, max_size=10, unique=True))
        cuts = sorted(draw(st.lists(st.integers(0, len(labels)), min_size=2, max_size=2)))
        groups = {"attention": labels[: min(cuts[0], 1)], "spatial": labels[cuts[0] : cuts[1]][:5]}
        groups["contacting"] = labels[cuts[1] :][:4]
        for group, preds in groups.items():
            relations += [ToonRelation(1, p, obj, group) for p in preds]
    return ToonGraph(ToonSchema.AG, objects, tuple(relations))


@settings(max_examples=150, deadline=None)
@given(st.one_of(generic_graphs(), ag_graphs()))
def test_round_trip(graph: ToonGraph) -> None:
    text = encode_toon(graph)
    assert toon_format.loads(text).keys() == {"obj", graph.schema.relation_table}
    result = decode_toon(text, graph.schema, image_size=SIZE)
    assert result.issues == ()
    assert result.graph == graph
    assert is_strictly_valid(text, graph.schema)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(generic_graphs(), ag_graphs()), st.data())
def test_cut_generation_never_yields_an_element_that_was_not_written(graph: ToonGraph, data: st.DataObject) -> None:
    """A max-tokens cut anywhere inside <answer> loses elements, reports it, and invents nothing."""
    full = "<answer>\n" + encode_toon(graph) + "\n</answer>"
    cut = data.draw(st.integers(len("<answer>\n"), len(full) - len("</answer>") - 1))
    result = decode_toon(full[:cut], graph.schema)
    assert set(result.objects) <= set(graph.objects)
    assert set(result.relations) <= set(graph.relations)
    assert IssueKind.UNCLOSED_ANSWER in result.kinds
    assert not result.strictly_valid


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('obj[]{}rel_pairs,:"\\|\t\n 0123456789-<>/answerthink`')), max_size=120))
def test_decoder_never_raises_on_garbage(text: str) -> None:
    for schema in ToonSchema:
        result = decode_toon(text, schema, image_size=SIZE, vocabulary=AG_VOCAB, oov="drop")
        lines = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
        for issue in result.issues:
            assert issue.message
            assert issue.line is None or 1 <= issue.line <= lines
        known = {o.id for o in result.objects}
        assert all(r.subj in known and r.obj in known and r.subj != r.obj for r in result.relations)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 10**6),
            st.sampled_from(["person", "cup", "in front of"]),
            st.floats(0, 600),
            st.floats(0, 400),
            st.floats(0, 80),
            st.floats(0, 80),
        ),
        max_size=8,
        unique_by=lambda t: t[0],
    )
)
def test_scene_graph_boxes_are_covered_and_ids_map_back(
    rows: list[tuple[int, str, float, float, float, float]],
) -> None:
    graph = SceneGraph(
        stamp_ns=0,
        frame_index=0,
        objects=[ObjectNode(t, label, (x, y, x + w, y + h)) for t, label, x, y, w, h in rows],
    )
    toon_graph, track_of = scene_graph_to_toon(graph, image_size=SIZE)
    decoded = decode_toon(encode_toon(toon_graph), image_size=SIZE)
    assert decoded.issues == ()
    originals = graph.object_by_id()
    for obj in decoded.objects:
        source = originals[track_of[obj.id]]
        assert obj.name == spell_label(source.label, ToonSchema.GENERIC)
        x1, y1, x2, y2 = source.box
        assert obj.box[0] <= x1 and obj.box[1] <= y1 and obj.box[2] >= min(x2, 640) and obj.box[3] >= y2
        assert obj.box[2] - obj.box[0] <= math.ceil(x2) - math.floor(x1) + 1
    assert sorted(track_of.values()) == sorted(originals)
