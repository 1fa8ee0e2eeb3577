"""Label comparison for open-vocabulary protocols: strict string equality plus an optional judge.

SceneGraphVLM and TraSeR first compare labels exactly (after a light normalisation) and only then,
for the *disputed* pairs that geometry has already aligned, ask a language model whether the two
labels mean the same thing. The judge is a plug point (off by default): any object with these two
methods. An LLM-backed judge lives with the VLM code; :class:`SynonymJudge` is a table-driven one for
tests and fixed synonym lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, runtime_checkable

Triplet = tuple[str, str, str]


def normalize_label(label: str) -> str:
    """SceneGraphVLM's normalisation: lower case, ``_`` and ``-`` read as spaces, outer blanks dropped."""
    return " ".join(label.replace("_", " ").replace("-", " ").lower().split())


@runtime_checkable
class Judge(Protocol):
    """Decides disputed matches; called only when the normalised strings differ."""

    def same_label(self, gt: str, pred: str) -> bool:
        """Do two object names (or two attributes) denote the same thing?"""
        ...

    def same_relation(self, gt: Triplet, pred: Triplet) -> bool:
        """Are two relations between already-aligned subjects and objects equivalent?"""
        ...


def labels_match(gt: str, pred: str, judge: Judge | None = None) -> bool:
    if normalize_label(gt) == normalize_label(pred):
        return True
    return judge is not None and bool(judge.same_label(gt, pred))


def predicates_match(gt: Triplet, pred: Triplet, judge: Judge | None = None) -> bool:
    if normalize_label(gt[1]) == normalize_label(pred[1]):
        return True
    return judge is not None and bool(judge.same_relation(gt, pred))


class SynonymJudge:
    """A judge from synonym groups: two labels match when one group holds both (normalised)."""

    def __init__(self, groups: Iterable[Iterable[str]]) -> None:
        self._group: dict[str, int] = {}
        for i, group in enumerate(groups):
            for label in group:
                self._group[normalize_label(label)] = i

    @classmethod
    def from_mapping(cls, synonyms: Mapping[str, Iterable[str]]) -> SynonymJudge:
        return cls([[key, *values] for key, values in synonyms.items()])

    def same_label(self, gt: str, pred: str) -> bool:
        a, b = self._group.get(normalize_label(gt)), self._group.get(normalize_label(pred))
        return a is not None and a == b

    def same_relation(self, gt: Triplet, pred: Triplet) -> bool:
        return self.same_label(gt[1], pred[1])
