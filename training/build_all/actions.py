"""Step actions shared by the presets: thin calls into each head's own train/export/evaluate entry points."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from vsgg_training.build_all.steps import StepContext


def only_input(ctx: StepContext) -> Path:
    (path,) = ctx.inputs.values()
    return path


def call_cli(module: str, argv: Sequence[str]) -> None:
    """``module.main(argv)`` for heads without an importable function; a non-zero return is an error."""
    import importlib

    code = importlib.import_module(module).main(list(argv))
    if code not in (None, 0):
        raise RuntimeError(f"{module}.main({list(argv)}) returned {code}")


def lookup(data: Any, path: Sequence[str]) -> Any:
    for key in path:
        if not isinstance(data, Mapping) or key not in data:
            raise KeyError(f"no {key!r} on the way to {'/'.join(path)}")
        data = data[key]
    return data


def read_metric(folder: Path, source: Mapping[str, Any]) -> float:
    """One metric from an upstream folder: a JSON file path (``file``, ``path``, ``scale``) or a card pattern."""
    if "pattern" in source:
        text = (folder / "card.md").read_text(encoding="utf-8")
        found = re.search(str(source["pattern"]), text)
        if found is None:
            raise ValueError(f"{folder / 'card.md'}: pattern {source['pattern']!r} not found")
        return float(found.group(1))
    data = json.loads((folder / str(source["file"])).read_text(encoding="utf-8"))
    return float(lookup(data, source["path"])) * float(source.get("scale", 1.0))


def compare_metrics(ctx: StepContext) -> dict[str, Any]:
    """Evaluate step: the head's own protocol results, set against the committed card with a stated tolerance.

    ``config``: ``metrics`` {name: source}, ``reference`` {name: card value}, ``tolerance`` (absolute, in
    the card's unit), ``digits`` (the card's rounding). Writes ``metrics.json``; a miss is reported, not raised.
    """
    folder = only_input(ctx)
    digits = int(ctx.config.get("digits", 4))
    values = {name: round(read_metric(folder, src), digits) for name, src in ctx.config["metrics"].items()}
    reference = dict(ctx.config.get("reference", {}))
    tol = float(ctx.config["tolerance"])
    deltas = {k: round(v - reference[k], digits) for k, v in values.items() if k in reference}
    report = {
        "metrics": values,
        "reference": reference,
        "tolerance": tol,
        "deltas": deltas,
        "within_tolerance": all(abs(d) <= tol for d in deltas.values()) if deltas else None,
    }
    (ctx.out / "metrics.json").write_text(json.dumps(report, indent=1) + "\n")
    return {"within_tolerance": report["within_tolerance"], **values}
