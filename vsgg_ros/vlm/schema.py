"""What the VLM may say: the TOON layout plus an optional closed vocabulary, spelled as the model writes it.

Three variants: ``closed`` (PSG/PVSG object-relation schema, labels from a vocabulary), ``ag`` (Action
Genome person-object pairs with attention/spatial/contacting lists) and ``open`` (generic layout, any
label in TOON spelling). Labels are kept in TOON spelling (``in-front-of``) because that is what the
grammar constrains and the decoder maps back to canonical names.
"""

from __future__ import annotations

from dataclasses import dataclass

from vsgg_ros.codec.toon import ToonSchema, spell_label
from vsgg_ros.codec.toon_model import AG_GROUP_LIMITS, AG_GROUPS
from vsgg_ros.graph import Vocabulary

SCHEMA_KINDS = ("closed", "ag", "open")


@dataclass(frozen=True)
class VlmSchema:
    """The TOON schema, the vocabulary (None for open vocabulary) and the labels in TOON spelling."""

    kind: str
    toon: ToonSchema
    vocabulary: Vocabulary | None
    objects: tuple[str, ...] = ()
    predicates: tuple[str, ...] = ()
    group_predicates: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def closed(self) -> bool:
        return self.vocabulary is not None


def build_schema(kind: str, vocabulary: Vocabulary | None = None) -> VlmSchema:
    """A schema of ``kind`` (closed/ag/open); closed and ag need the vocabulary, open ignores it."""
    if kind not in SCHEMA_KINDS:
        raise ValueError(f"VLM schema must be one of {SCHEMA_KINDS}, got {kind!r}")
    if kind == "open":
        return VlmSchema("open", ToonSchema.GENERIC, None)
    if vocabulary is None:
        raise ValueError(f"VLM schema {kind!r} needs a vocabulary")
    toon = ToonSchema.AG if kind == "ag" else ToonSchema.GENERIC
    objects = _spelled(vocabulary.objects, toon, vocabulary.name)
    predicates = _spelled(vocabulary.predicates, toon, vocabulary.name)
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    if toon is ToonSchema.AG:
        missing = [g for g in AG_GROUPS if g not in {x.name for x in vocabulary.groups}]
        if missing:
            raise ValueError(f"vocabulary {vocabulary.name!r} lacks the AG predicate groups {missing}")
        groups = tuple((g, _spelled(vocabulary.group_predicates(g), toon, vocabulary.name)) for g in AG_GROUPS)
    return VlmSchema(kind, toon, vocabulary, objects, predicates, groups)


def group_limit(group: str) -> int:
    """SceneGraphVLM's cap on labels per (person, object) pair in an AG group."""
    return AG_GROUP_LIMITS[group]


def _spelled(labels: tuple[str, ...], toon: ToonSchema, vocab: str) -> tuple[str, ...]:
    spelled = tuple(spell_label(label, toon) for label in labels)
    if len(set(spelled)) != len(spelled):
        raise ValueError(f"vocabulary {vocab!r}: two labels share one TOON spelling")
    return spelled
