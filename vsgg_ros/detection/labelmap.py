"""Renaming a detector's classes into the relation head's vocabulary.

A map file (``data/coco80_to_ag.json`` is the documented example) says which source class becomes which
vocabulary label; several source classes may share one target (COCO cup, bottle and wine glass are all
Action Genome ``cup/glass/bottle``). Classes without an entry are dropped (``"unmapped": "drop"``,
the default: the head cannot reason about a class it has never seen) or kept under their own name with
class id -1 (``"keep"``, open vocabulary).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from vsgg_ros.graph import Vocabulary
from vsgg_ros.vocab import load_vocabulary

UNMAPPED = ("drop", "keep")


def packaged(name: str) -> Path:
    """A file from ``vsgg_ros/detection/data``."""
    return Path(str(resources.files("vsgg_ros.detection") / "data" / name))


def load_class_names(name_or_path: str | Path) -> tuple[str, ...]:
    """Class names from a ``{"classes": [...]}`` JSON file: a path, or a packaged name such as ``coco80``."""
    path = Path(name_or_path)
    if not path.is_file():
        path = packaged(f"{name_or_path}.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(str(c) for c in data["classes"])


@dataclass(frozen=True)
class LabelMap:
    """Detector class index -> (vocabulary label, vocabulary class id), or None when dropped."""

    source: tuple[str, ...]
    table: tuple[tuple[str, int] | None, ...]
    by_name: dict[str, tuple[str, int] | None]

    @classmethod
    def identity(cls, names: Sequence[str], vocabulary: Vocabulary) -> LabelMap:
        """Detector classes already spelled in ``vocabulary`` (our SynthRoom detector): ids looked up."""
        unknown = [n for n in names if vocabulary.object_id(n) < 0]
        if unknown:
            raise ValueError(f"identity label map: classes {unknown} are not in vocabulary {vocabulary.name!r}")
        return cls.from_mapping(names, {n: n for n in names}, vocabulary, "drop")

    @classmethod
    def from_mapping(
        cls, names: Sequence[str], mapping: dict[str, str], vocabulary: Vocabulary, unmapped: str = "drop"
    ) -> LabelMap:
        if unmapped not in UNMAPPED:
            raise ValueError(f"label map 'unmapped' must be one of {UNMAPPED}, got {unmapped!r}")
        stray = sorted(set(mapping) - set(names))
        if stray:
            raise ValueError(f"label map names source classes the detector does not have: {stray}")
        by_name: dict[str, tuple[str, int] | None] = {}
        for name in names:
            if name in mapping:
                target = vocabulary.canonical_object(mapping[name])
                if target is None:
                    raise ValueError(f"label map: {name!r} -> {mapping[name]!r}, not in vocabulary {vocabulary.name!r}")
                by_name[name] = (target, vocabulary.object_id(target))
            else:
                by_name[name] = (name, -1) if unmapped == "keep" else None
        return cls(tuple(names), tuple(by_name[n] for n in names), by_name)

    @classmethod
    def from_file(cls, path: Path, names: Sequence[str], vocabulary: Vocabulary | None = None) -> LabelMap:
        data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data.get("map"), dict):
            raise ValueError(f"label map {path}: needs a 'map' object of source class -> vocabulary label")
        vocab = vocabulary or load_vocabulary(str(data.get("target_vocabulary", "ag")))
        return cls.from_mapping(names, data["map"], vocab, str(data.get("unmapped", "drop")))

    def __call__(self, class_index: int) -> tuple[str, int] | None:
        if not 0 <= class_index < len(self.table):
            raise ValueError(f"detector class index {class_index} outside its {len(self.table)} classes")
        return self.table[class_index]

    def lookup(self, name: str) -> tuple[str, int] | None:
        """By source class name (vision_msgs carries names); unknown names are dropped."""
        return self.by_name.get(name)
