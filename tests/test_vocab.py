"""Packaged dataset vocabularies and the vocabulary dict codec.

Golden lists are transcribed from the reference notes (shared/reference/vsgg-research-code.md §1.1 for
Action Genome) and from the upstream sources named in vsgg_ros/vocab/data/README.md, not produced by
the loader under test.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from vsgg_ros.graph import Vocabulary
from vsgg_ros.vocab import (
    available_vocabularies,
    load_vocabulary,
    vocabulary_from_dict,
    vocabulary_to_dict,
)

ALL = ("ag", "psg", "pvsg", "vidor", "vidvrd")

# Action Genome, reference notes §1.1: pickle / STTran spelling, then the raw .txt spelling.
AG_OBJECTS = [
    "person",
    "bag",
    "bed",
    "blanket",
    "book",
    "box",
    "broom",
    "chair",
    "closet/cabinet",
    "clothes",
    "cup/glass/bottle",
    "dish",
    "door",
    "doorknob",
    "doorway",
    "floor",
    "food",
    "groceries",
    "laptop",
    "light",
    "medicine",
    "mirror",
    "paper/notebook",
    "phone/camera",
    "picture",
    "pillow",
    "refrigerator",
    "sandwich",
    "shelf",
    "shoe",
    "sofa/couch",
    "table",
    "television",
    "towel",
    "vacuum",
    "window",
]
AG_PREDICATES = [
    "looking_at",
    "not_looking_at",
    "unsure",
    "above",
    "beneath",
    "in_front_of",
    "behind",
    "on_the_side_of",
    "in",
    "carrying",
    "covered_by",
    "drinking_from",
    "eating",
    "have_it_on_the_back",
    "holding",
    "leaning_on",
    "lying_on",
    "not_contacting",
    "other_relationship",
    "sitting_on",
    "standing_on",
    "touching",
    "twisting",
    "wearing",
    "wiping",
    "writing_on",
]
AG_RAW_PREDICATES = [
    "lookingat",
    "notlookingat",
    "unsure",
    "above",
    "beneath",
    "infrontof",
    "behind",
    "onthesideof",
    "in",
    "carrying",
    "coveredby",
    "drinkingfrom",
    "eating",
    "haveitontheback",
    "holding",
    "leaningon",
    "lyingon",
    "notcontacting",
    "otherrelationship",
    "sittingon",
    "standingon",
    "touching",
    "twisting",
    "wearing",
    "wiping",
    "writingon",
]
AG_RAW_OBJECTS = {
    "closetcabinet": "closet/cabinet",
    "cupglassbottle": "cup/glass/bottle",
    "papernotebook": "paper/notebook",
    "phonecamera": "phone/camera",
    "sofacouch": "sofa/couch",
}
REFERENCE = Path("/work/shared/reference/vsgg-research-code.md")


def test_available_vocabularies_lists_every_data_file() -> None:
    assert available_vocabularies() == ALL


@pytest.mark.parametrize(
    ("name", "n_objects", "n_predicates"),
    [("ag", 36, 26), ("psg", 133, 56), ("pvsg", 126, 57), ("vidvrd", 35, 132), ("vidor", 80, 50)],
)
def test_counts(name: str, n_objects: int, n_predicates: int) -> None:
    vocab = load_vocabulary(name)
    assert vocab.name == name
    assert (len(vocab.objects), len(vocab.predicates)) == (n_objects, n_predicates)


def test_ag_strings_and_order() -> None:
    vocab = load_vocabulary("ag")
    assert vocab.objects == tuple(AG_OBJECTS)
    assert vocab.predicates == tuple(AG_PREDICATES)
    assert vocab.object_id("person") == 0  # no __background__ entry, unlike STTran's person = 1
    assert vocab.object_id("window") == 35


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared reference notes not present")
def test_ag_strings_match_reference_text() -> None:
    section = REFERENCE.read_text(encoding="utf-8").split("### 1.1", 1)[1].split("### 1.2", 1)[0]
    blocks = re.findall(r"`([^`]{200,})`", section)
    objects = [s.strip() for s in blocks[0].split(",")]
    predicates = [s.strip() for s in blocks[1].replace("|", ",").split(",")]
    raw_predicates = [s.strip() for s in blocks[2].split(",")]
    vocab = load_vocabulary("ag")
    assert vocab.objects == tuple(objects)
    assert vocab.predicates == tuple(predicates)
    assert [vocab.predicate_id(p) for p in raw_predicates] == list(range(26))


def test_ag_groups() -> None:
    vocab = load_vocabulary("ag")
    assert [(g.name, g.start, g.stop) for g in vocab.groups] == [
        ("attention", 0, 3),
        ("spatial", 3, 9),
        ("contacting", 9, 26),
    ]
    assert vocab.group_predicates("attention") == ("looking_at", "not_looking_at", "unsure")
    assert vocab.group_predicates("spatial") == (
        "above",
        "beneath",
        "in_front_of",
        "behind",
        "on_the_side_of",
        "in",
    )
    assert len(vocab.group_predicates("contacting")) == 17
    for pid, group in [(0, "attention"), (2, "attention"), (3, "spatial"), (8, "spatial")]:
        assert vocab.group_of(pid) == group
    assert vocab.group_of(9) == vocab.group_of(25) == "contacting"
    assert vocab.group_of(vocab.predicate_id("holding")) == "contacting"
    assert vocab.group_of(26) == vocab.group_of(-1) == ""


def test_ag_raw_txt_spellings_resolve() -> None:
    vocab = load_vocabulary("ag")
    for index, raw in enumerate(AG_RAW_PREDICATES):
        assert vocab.predicate_id(raw) == index, raw
    for raw, canonical in AG_RAW_OBJECTS.items():
        assert vocab.canonical_object(raw) == canonical


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("in-front-of", "in_front_of"),
        ("In Front Of", "in_front_of"),
        ("have-it-on-the-back", "have_it_on_the_back"),
        ("not looking at", "not_looking_at"),
    ],
)
def test_ag_predicate_variants(spelling: str, canonical: str) -> None:
    assert load_vocabulary("ag").canonical_predicate(spelling) == canonical


@pytest.mark.parametrize("spelling", ["Cup Glass Bottle", "cup-glass-bottle", "CUP_GLASS_BOTTLE"])
def test_ag_object_variants(spelling: str) -> None:
    assert load_vocabulary("ag").canonical_object(spelling) == "cup/glass/bottle"


@pytest.mark.parametrize("name", ALL)
def test_unknown_labels_are_minus_one(name: str) -> None:
    vocab = load_vocabulary(name)
    assert vocab.object_id("unicorn") == -1
    assert vocab.predicate_id("teleporting_into") == -1
    assert vocab.canonical_object("unicorn") is None
    assert vocab.object_id("") == -1


@pytest.mark.parametrize("name", ["psg", "pvsg", "vidvrd", "vidor"])
def test_datasets_without_groups(name: str) -> None:
    vocab = load_vocabulary(name)
    assert vocab.groups == ()
    assert vocab.group_of(0) == ""


def test_psg_thing_then_stuff_order() -> None:
    vocab = load_vocabulary("psg")
    assert vocab.objects[:3] == ("person", "bicycle", "car")
    assert vocab.objects[79] == "toothbrush"  # last of the 80 COCO thing classes
    assert vocab.objects[80] == "banner"  # first of the 53 stuff classes
    assert vocab.objects[-1] == "rug-merged"
    assert "background" not in vocab.objects
    assert vocab.predicates[:5] == ("over", "in front of", "beside", "on", "in")
    assert vocab.predicates[-1] == "leaning on"
    assert vocab.canonical_predicate("in_front_of") == "in front of"
    assert vocab.canonical_object("sky_other_merged") == "sky-other-merged"


def test_pvsg_lists() -> None:
    vocab = load_vocabulary("pvsg")
    stuff = ("ceiling", "floor", "grass", "ground", "rock", "sand", "sky", "snow", "tree", "wall", "water")
    assert vocab.objects[115:] == stuff
    assert vocab.objects[:115] == tuple(sorted(vocab.objects[:115]))
    assert vocab.predicates == tuple(sorted(vocab.predicates))
    assert vocab.predicates[0] == "beside" and vocab.predicates[-1] == "wearing"
    assert vocab.canonical_predicate("shaking_hand_with") == "shaking hand with"


@pytest.mark.parametrize(("alias", "canonical"), [("vacuum", "vaccum"), ("Balloon", "ballon")])
def test_pvsg_spelling_aliases(alias: str, canonical: str) -> None:
    vocab = load_vocabulary("pvsg")
    assert vocab.canonical_object(alias) == canonical
    assert vocab.object_id(alias) == vocab.objects.index(canonical)


def test_vidvrd_lists() -> None:
    vocab = load_vocabulary("vidvrd")
    assert vocab.objects == tuple(sorted(vocab.objects))  # VidVRD-helper's id order
    assert vocab.predicates == tuple(sorted(vocab.predicates))
    assert vocab.objects[0] == "airplane" and vocab.objects[-1] == "zebra"
    assert vocab.canonical_object("red panda") == "red_panda"
    assert vocab.canonical_predicate("stand next to") == "stand_next_to"
    assert vocab.predicate_id("toward") >= 0 and vocab.predicate_id("towards") == -1


def test_vidor_lists() -> None:
    vocab = load_vocabulary("vidor")
    assert vocab.objects == tuple(sorted(vocab.objects))
    assert vocab.predicates == tuple(sorted(vocab.predicates))
    assert vocab.objects[:4] == ("adult", "aircraft", "antelope", "baby")
    assert vocab.canonical_object("ball sports ball") == "ball/sports_ball"
    assert vocab.canonical_predicate("in front of") == "in_front_of"
    assert vocab.predicate_id("play(instrument)") >= 0
    assert vocab.predicate_id("towards") >= 0 and vocab.predicate_id("toward") == -1


@pytest.mark.parametrize("name", ALL)
def test_aliases_are_not_redundant(name: str) -> None:
    """Every alias must add a spelling that case/separator folding alone would not resolve."""
    vocab = load_vocabulary(name)
    bare = Vocabulary(name=name, objects=vocab.objects, predicates=vocab.predicates)
    for alias in vocab.aliases:
        assert bare.canonical_object(alias) is None, alias
        assert bare.canonical_predicate(alias) is None, alias


@pytest.mark.parametrize("name", ALL)
def test_data_files_record_their_source(name: str) -> None:
    text = resources.files("vsgg_ros.vocab").joinpath("data", f"{name}.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert set(data) == {"name", "source", "objects", "predicates", "groups", "aliases"}
    assert data["name"] == name
    assert len(data["source"]) > 20


def test_load_is_case_insensitive_and_cached() -> None:
    assert load_vocabulary("AG") is load_vocabulary("ag")
    assert load_vocabulary(" VidOR ") is load_vocabulary("vidor")


def test_unknown_vocabulary_lists_available_names() -> None:
    with pytest.raises(ValueError, match=r"unknown vocabulary 'coco'.*ag, psg, pvsg, vidor, vidvrd"):
        load_vocabulary("coco")


def test_vocabulary_name_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="must be a str"):
        load_vocabulary(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ALL)
def test_dict_round_trip(name: str) -> None:
    vocab = load_vocabulary(name)
    data = vocabulary_to_dict(vocab)
    again = vocabulary_from_dict(json.loads(json.dumps(data)))
    assert again == vocab
    assert vocabulary_to_dict(again) == data


def test_to_dict_shape() -> None:
    data = vocabulary_to_dict(load_vocabulary("ag"))
    assert data["groups"][1] == {"name": "spatial", "start": 3, "stop": 9}
    assert data["objects"][10] == "cup/glass/bottle"
    assert isinstance(data["objects"], list) and isinstance(data["aliases"], dict)


def test_from_dict_defaults_and_source() -> None:
    vocab = vocabulary_from_dict({"name": "tiny", "source": "test", "objects": ["a"], "predicates": ["on"]})
    assert vocab.groups == () and dict(vocab.aliases) == {}
    assert vocab.object_id("A") == 0


def test_from_dict_aliases_cannot_be_mutated_through_the_vocabulary() -> None:
    vocab = vocabulary_from_dict({"name": "t", "objects": ["a"], "predicates": ["p"], "aliases": {"x": "a"}})
    with pytest.raises(TypeError):
        vocab.aliases["y"] = "a"  # type: ignore[index]


def _good() -> dict[str, Any]:
    return {
        "name": "toy",
        "objects": ["person", "cup"],
        "predicates": ["holding", "near", "on"],
        "groups": [{"name": "contact", "start": 0, "stop": 1}, {"name": "spatial", "start": 1, "stop": 3}],
        "aliases": {"mug": "cup"},
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("objects"), r"missing keys \['objects'\]"),
        (lambda d: d.update(colour="red"), r"unknown keys \['colour'\]"),
        (lambda d: d.update(name=""), "non-empty string"),
        (lambda d: d.update(source=3), "'source' must be a string"),
        (lambda d: d.update(objects="person"), "'objects' must be a list"),
        (lambda d: d.update(objects=[]), "'objects' is empty"),
        (lambda d: d.update(predicates=["on", 3]), "'predicates' holds non-string"),
        (lambda d: d.update(objects=["person", "  "]), "blank"),
        (lambda d: d.update(objects=["cup", "cup"]), "duplicate object classes"),
        (lambda d: d.update(objects=["Cup", "cup"]), "differ only in spelling"),
        (lambda d: d.update(predicates=["in_front_of", "in front of", "on"]), "differ only in spelling"),
        (lambda d: d.update(groups={"contact": [0, 1]}), "'groups' must be a list"),
        (lambda d: d["groups"][0].pop("stop"), "group 0 must have exactly the keys"),
        (lambda d: d["groups"][1].update(stop=2), "must tile the predicate list"),
        (lambda d: d["groups"][0].update(start=1, stop=1), "start < stop"),
        (lambda d: d["groups"][0].update(stop=True), "start < stop"),
        (lambda d: d["groups"][1].update(name="contact"), "duplicate group names"),
        (lambda d: d.update(aliases=["mug"]), "'aliases' must be a mapping"),
        (lambda d: d.update(aliases={"mug": 1}), "map strings to strings"),
        (lambda d: d.update(aliases={"mug": "teacup"}), "aliases point at unknown labels"),
    ],
)
def test_bad_vocabulary_data_is_rejected(change: Any, message: str) -> None:
    data = _good()
    change(data)
    with pytest.raises(ValueError, match=message):
        vocabulary_from_dict(data)


def test_good_fixture_is_accepted() -> None:
    vocab = vocabulary_from_dict(_good())
    assert vocab.object_id("mug") == 1
    assert vocab.group_of(2) == "spatial"


def test_non_mapping_is_rejected() -> None:
    with pytest.raises(ValueError, match="must be a mapping"):
        vocabulary_from_dict(["ag"])  # type: ignore[arg-type]
