"""Dataset vocabularies (Action Genome, PSG, PVSG, ImageNet-VidVRD, VidOR) as :class:`Vocabulary` values.

The class lists live in ``vocab/data/<name>.json`` so they can be read, diffed and cited without running
code; ``data/README.md`` records where each list comes from. The dict codec here is the one shape a
vocabulary takes whenever it leaves the process (latched ROS message, model folder, wire format), so every
reader validates the same way and reports the bad field by name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from vsgg_ros.graph import PredicateGroup, Vocabulary

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = [
    "available_vocabularies",
    "load_vocabulary",
    "vocabulary_from_dict",
    "vocabulary_to_dict",
]

_REQUIRED_KEYS = frozenset({"name", "objects", "predicates"})
_OPTIONAL_KEYS = frozenset({"source", "groups", "aliases"})
_GROUP_KEYS = frozenset({"name", "start", "stop"})


def available_vocabularies() -> tuple[str, ...]:
    """Names accepted by :func:`load_vocabulary`, sorted."""
    return tuple(
        sorted(
            entry.name[: -len(".json")]
            for entry in _data_dir().iterdir()
            if entry.is_file() and entry.name.endswith(".json")
        )
    )


def load_vocabulary(name: str) -> Vocabulary:
    """The packaged vocabulary called ``name`` (case-insensitive); the same object on every call."""
    if not isinstance(name, str):
        raise TypeError(f"vocabulary name must be a str, got {type(name).__name__}")
    return _load(name.strip().lower())


def vocabulary_from_dict(data: Mapping[str, Any]) -> Vocabulary:
    """Build a :class:`Vocabulary` from its JSON form, rejecting malformed input with the field named.

    Keys: ``name``, ``objects``, ``predicates`` (required); ``groups``, ``aliases`` and the informational
    ``source`` (optional). Unknown keys are an error so that a misspelt field is not silently dropped.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"vocabulary data must be a mapping, got {type(data).__name__}")
    label = data.get("name", "<unnamed>")
    missing = sorted(_REQUIRED_KEYS - data.keys())
    if missing:
        raise ValueError(f"vocabulary {label!r}: missing keys {missing}")
    unknown = sorted(str(k) for k in data.keys() - _REQUIRED_KEYS - _OPTIONAL_KEYS)
    if unknown:
        raise ValueError(f"vocabulary {label!r}: unknown keys {unknown}")
    name = data["name"]
    if not isinstance(name, str) or not name:
        raise ValueError(f"vocabulary name must be a non-empty string, got {name!r}")
    if "source" in data and not isinstance(data["source"], str):
        raise ValueError(f"vocabulary {name!r}: 'source' must be a string")
    return Vocabulary(
        name=name,
        objects=_labels(name, "objects", data["objects"]),
        predicates=_labels(name, "predicates", data["predicates"]),
        groups=_groups(name, data.get("groups", [])),
        aliases=MappingProxyType(_aliases(name, data.get("aliases", {}))),
    )


def vocabulary_to_dict(vocab: Vocabulary) -> dict[str, Any]:
    """The JSON-ready form of ``vocab`` (plain lists and dicts); inverse of :func:`vocabulary_from_dict`."""
    return {
        "name": vocab.name,
        "objects": list(vocab.objects),
        "predicates": list(vocab.predicates),
        "groups": [{"name": g.name, "start": g.start, "stop": g.stop} for g in vocab.groups],
        "aliases": dict(vocab.aliases),
    }


@cache
def _load(key: str) -> Vocabulary:
    names = available_vocabularies()
    if key not in names:
        raise ValueError(f"unknown vocabulary {key!r}; available: {', '.join(names)}")
    text = _data_dir().joinpath(f"{key}.json").read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"vocabulary file {key}.json is not valid JSON: {exc}") from exc
    vocab = vocabulary_from_dict(data)
    if vocab.name != key:
        raise ValueError(f"vocabulary file {key}.json declares name {vocab.name!r}")
    return vocab


def _data_dir() -> Traversable:
    return resources.files("vsgg_ros.vocab").joinpath("data")


def _labels(vocab: str, field: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"vocabulary {vocab!r}: {field!r} must be a list of strings")
    bad = [item for item in value if not isinstance(item, str) or not item.strip()]
    if bad:
        raise ValueError(f"vocabulary {vocab!r}: {field!r} holds non-string or blank entries {bad!r}")
    if not value:
        raise ValueError(f"vocabulary {vocab!r}: {field!r} is empty")
    return tuple(value)


def _groups(vocab: str, value: object) -> tuple[PredicateGroup, ...]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"vocabulary {vocab!r}: 'groups' must be a list")
    groups = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping) or set(item.keys()) != _GROUP_KEYS:
            raise ValueError(f"vocabulary {vocab!r}: group {i} must have exactly the keys name, start, stop")
        name, start, stop = item["name"], item["start"], item["stop"]
        if not isinstance(name, str) or not name:
            raise ValueError(f"vocabulary {vocab!r}: group {i} has no name")
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, stop)) or start >= stop:
            raise ValueError(
                f"vocabulary {vocab!r}: group {name!r} needs integer start < stop, got {start!r}, {stop!r}"
            )
        groups.append(PredicateGroup(name, start, stop))
    names = [g.name for g in groups]
    if len(set(names)) != len(names):
        raise ValueError(f"vocabulary {vocab!r}: duplicate group names {names}")
    return tuple(groups)


def _aliases(vocab: str, value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ValueError(f"vocabulary {vocab!r}: 'aliases' must be a mapping of alias -> label")
    bad = [k for k, v in value.items() if not isinstance(k, str) or not isinstance(v, str)]
    if bad:
        raise ValueError(f"vocabulary {vocab!r}: aliases must map strings to strings, bad keys {bad!r}")
    return dict(value)
