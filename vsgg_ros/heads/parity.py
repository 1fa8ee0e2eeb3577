"""``parity.npz``: golden inputs and the exporter's (torch) outputs, replayed by a runtime at load.

Layout: one array per key ``"<case>/input/<name>"`` and ``"<case>/output/<name>"``, where ``<case>`` is
any label (``"0"``, ``"min"``, ``"max"``…) so one file can cover the profile's extreme shapes. A runtime
whose outputs differ beyond tolerance on any case is refusing to be trusted (wrong engine, bad kernels,
a precision cast gone wrong) and must not start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

Arrays = dict[str, np.ndarray]


class ParityError(RuntimeError):
    """A runtime's outputs differ from the golden outputs beyond tolerance."""


@dataclass(frozen=True)
class ParityCase:
    name: str
    inputs: Arrays
    outputs: Arrays


def write_parity(path: Path, cases: Sequence[ParityCase]) -> None:
    if not cases:
        raise ValueError("parity needs at least one case")
    arrays: Arrays = {}
    for case in cases:
        if "/" in case.name:
            raise ValueError(f"parity case name {case.name!r} must not contain '/'")
        arrays.update({f"{case.name}/input/{k}": np.asarray(v) for k, v in case.inputs.items()})
        arrays.update({f"{case.name}/output/{k}": np.asarray(v) for k, v in case.outputs.items()})
    np.savez_compressed(path, **arrays)


def read_parity(path: Path) -> list[ParityCase]:
    grouped: dict[str, tuple[Arrays, Arrays]] = {}
    with np.load(path, allow_pickle=False) as data:
        for key in data.files:
            parts = key.split("/")
            if len(parts) != 3 or parts[1] not in ("input", "output"):
                raise ValueError(f"{path}: key {key!r} is not '<case>/input|output/<name>'")
            case, kind, name = parts
            inputs, outputs = grouped.setdefault(case, ({}, {}))
            (inputs if kind == "input" else outputs)[name] = data[key]
    if not grouped:
        raise ValueError(f"{path}: no parity cases")
    return [ParityCase(name, inputs, outputs) for name, (inputs, outputs) in sorted(grouped.items())]


def compare(
    expected: Mapping[str, np.ndarray], actual: Mapping[str, np.ndarray], atol: float, rtol: float
) -> dict[str, float]:
    """Max abs difference per output; raises :class:`ParityError` naming each output out of tolerance."""
    report: dict[str, float] = {}
    failures: list[str] = []
    for name, want in expected.items():
        if name not in actual:
            failures.append(f"{name}: missing from the runtime's outputs")
            continue
        got = np.asarray(actual[name])
        if got.shape != want.shape:
            failures.append(f"{name}: shape {got.shape}, expected {want.shape}")
            continue
        diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
        report[name] = float(diff.max()) if diff.size else 0.0
        bad = diff > atol + rtol * np.abs(want.astype(np.float64))
        if bad.any():
            failures.append(f"{name}: {int(bad.sum())}/{bad.size} values off, max abs diff {report[name]:.3g}")
    if failures:
        raise ParityError(f"parity failed (atol={atol}, rtol={rtol}): " + "; ".join(failures))
    return report
