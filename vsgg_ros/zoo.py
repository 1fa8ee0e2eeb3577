"""The model zoo: ``models/manifest.yaml`` names every deployable model folder and pins what it holds.

A run that selects a model by name (``vsgg run --head pals --head-model pals-synth``, the ROS node's
``head_model`` parameter) goes through :meth:`Zoo.resolve`, which refuses, naming the model and the
problem, a folder whose files are missing or differ from the recorded sha256, whose ``io_spec.json``
no longer matches the recorded tensor specs, that belongs to another head, or that was trained on a
vocabulary other than the pipeline's. The manifest itself is written from the folders by
``python -m vsgg_training manifest`` (training/manifest.py); nothing here imports the training stack.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from vsgg_ros.graph import Vocabulary

SCHEMA_VERSION = 1
MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
DEFAULT_MANIFEST = MODELS_DIR / "manifest.yaml"
_ENTRY_KEYS = frozenset({"head", "files", "graphs", "vocabulary", "training", "metrics", "runtime"})
_GRAPH_KEYS = ("inputs", "outputs", "dynamic_axes")


class ZooError(ValueError):
    """The manifest is malformed, or a model does not match it or the pipeline; the message names both."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def vocabulary_digest(vocab: Vocabulary) -> str:
    """sha256 of the ordered object and predicate labels: class ids are positions, so order matters."""
    text = json.dumps({"objects": list(vocab.objects), "predicates": list(vocab.predicates)}, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def graph_spec(io_spec: Mapping[str, Any]) -> dict[str, Any]:
    """The part of an ``io_spec.json`` a runtime depends on: tensor names, dtypes, shapes and ranges."""
    return {
        "inputs": [{"name": t["name"], "dtype": t["dtype"], "shape": list(t["shape"])} for t in io_spec["inputs"]],
        "outputs": [{"name": t["name"], "dtype": t["dtype"], "shape": list(t["shape"])} for t in io_spec["outputs"]],
        "dynamic_axes": {k: list(v) for k, v in dict(io_spec.get("dynamic_axes", {})).items()},
    }


@dataclass(frozen=True)
class ModelEntry:
    """One model of the manifest; ``folder`` is absolute (the manifest's directory / name)."""

    name: str
    head: str
    folder: Path
    files: dict[str, str]
    graphs: dict[str, dict[str, Any]]
    vocabulary: dict[str, Any]
    training: dict[str, Any]
    metrics: list[dict[str, Any]]
    runtime: dict[str, Any]


class Zoo:
    """A loaded, schema-checked manifest; file contents are checked on :meth:`verify` / :meth:`resolve`."""

    def __init__(self, path: Path, entries: dict[str, ModelEntry]) -> None:
        self.path = path
        self.entries = entries

    @classmethod
    def load(cls, path: Path | str | None = None) -> Zoo:
        path = Path(path) if path is not None else DEFAULT_MANIFEST
        if not path.is_file():
            raise ZooError(f"model manifest {path} does not exist (write it with `python -m vsgg_training manifest`)")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ZooError(f"model manifest {path} is not valid YAML: {exc}") from exc
        if (
            not isinstance(data, dict)
            or data.get("schema") != SCHEMA_VERSION
            or not isinstance(data.get("models"), dict)
        ):
            raise ZooError(f"model manifest {path}: expected a mapping with schema: {SCHEMA_VERSION} and models: {{}}")
        entries = {str(name): _entry(str(name), raw, path.parent) for name, raw in data["models"].items()}
        return cls(path, entries)

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self.entries))

    def entry(self, name: str) -> ModelEntry:
        if name not in self.entries:
            raise ZooError(f"model {name!r} is not in {self.path}; known: {', '.join(self.names()) or 'none'}")
        return self.entries[name]

    def verify(self, name: str) -> ModelEntry:
        """The entry, after checking its folder: every file present, nothing extra, io_spec and sha256 as recorded."""
        entry = self.entry(name)
        if not entry.folder.is_dir():
            raise ZooError(f"model {name!r}: folder {entry.folder} does not exist")
        present = {p.relative_to(entry.folder).as_posix() for p in entry.folder.rglob("*") if p.is_file()}
        missing = sorted(set(entry.files) - present)
        if missing:
            raise ZooError(f"model {name!r}: missing file(s) {missing} in {entry.folder}")
        extra = sorted(present - set(entry.files))
        if extra:
            raise ZooError(f"model {name!r}: file(s) {extra} in {entry.folder} are not in the manifest")
        for graph, recorded in entry.graphs.items():
            spec_path = entry.folder / graph / "io_spec.json"
            found = graph_spec(json.loads(spec_path.read_text(encoding="utf-8")))
            if found != recorded:
                raise ZooError(
                    f"model {name!r}: {spec_path} does not match the manifest's io_spec ({_diff(recorded, found)})"
                )
        for rel, expected in sorted(entry.files.items()):
            actual = sha256_file(entry.folder / rel)
            if actual != expected:
                raise ZooError(
                    f"model {name!r}: sha256 mismatch for {rel}: manifest {expected[:12]}…, file {actual[:12]}… "
                    "(model changed without a manifest update? run `python -m vsgg_training manifest`)"
                )
        return entry

    def resolve(self, name: str, *, head: str | None = None, vocabulary: Vocabulary | None = None) -> Path:
        """The verified folder of model ``name``; ``head`` and ``vocabulary``: what the pipeline is configured for."""
        entry = self.entry(name)
        if head is not None and entry.head != head:
            raise ZooError(f"model {name!r} is a {entry.head!r} model; the pipeline asks for head {head!r}")
        if vocabulary is not None:
            check_vocabulary(entry, vocabulary)
        return self.verify(name).folder


def check_vocabulary(entry: ModelEntry, vocabulary: Vocabulary) -> None:
    """Refuse a model trained on another label set than the pipeline's (name, then the ordered labels).

    A model recorded with no vocabulary (``name: null``) has no label outputs and fits any pipeline.
    """
    recorded = entry.vocabulary
    if recorded.get("name") is None:
        return
    if recorded.get("name") != vocabulary.name:
        raise ZooError(
            f"model {entry.name!r} was trained on vocabulary {recorded.get('name')!r}; "
            f"the pipeline is configured for {vocabulary.name!r}"
        )
    if recorded.get("sha256") != vocabulary_digest(vocabulary):
        raise ZooError(
            f"model {entry.name!r}: vocabulary {vocabulary.name!r} labels differ from the ones it was trained on "
            f"(manifest {recorded.get('objects')} objects / {recorded.get('predicates')} predicates, "
            f"configured {len(vocabulary.objects)} / {len(vocabulary.predicates)}; order counts)"
        )


def _entry(name: str, raw: Any, root: Path) -> ModelEntry:
    where = f"model manifest entry {name!r}"
    if not isinstance(raw, dict):
        raise ZooError(f"{where}: expected a mapping")
    missing = sorted(_ENTRY_KEYS - set(raw))
    if missing:
        raise ZooError(f"{where}: missing keys {missing}")
    files = raw["files"]
    if not isinstance(files, dict) or not files or not all(isinstance(v, str) and len(v) == 64 for v in files.values()):
        raise ZooError(f"{where}: files must map relative paths to sha256 hex digests")
    graphs = raw["graphs"]
    if not isinstance(graphs, dict) or not graphs:
        raise ZooError(f"{where}: graphs must map graph folders ('.' for the top) to io specs")
    for graph, spec in graphs.items():
        if not isinstance(spec, dict) or set(spec) != set(_GRAPH_KEYS):
            raise ZooError(f"{where}: graph {graph!r} needs exactly the keys {list(_GRAPH_KEYS)}")
    vocab = raw["vocabulary"]
    if not isinstance(vocab, dict) or not {"name", "sha256"} <= set(vocab):
        raise ZooError(f"{where}: vocabulary needs name and sha256")
    return ModelEntry(
        name=name,
        head=str(raw["head"]),
        folder=(root / name).resolve(),
        files={str(k): str(v) for k, v in files.items()},
        graphs={str(k): v for k, v in graphs.items()},
        vocabulary=dict(vocab),
        training=dict(raw["training"] or {}),
        metrics=list(raw["metrics"] or []),
        runtime=dict(raw["runtime"] or {}),
    )


def _diff(recorded: dict[str, Any], found: dict[str, Any]) -> str:
    """The first differing part, named, so the message says what changed rather than dumping both specs."""
    for key in _GRAPH_KEYS:
        if recorded.get(key) != found.get(key):
            return f"{key}: manifest {recorded.get(key)} vs folder {found.get(key)}"
    return "no difference"
