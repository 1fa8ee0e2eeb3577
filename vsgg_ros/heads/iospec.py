"""``io_spec.json``: the contract between an exported head and every runtime that executes it.

It names each input and output with its dtype and a shape whose entries are ints or symbolic dims;
every symbolic dim has a ``[min, opt, max]`` range under ``dynamic_axes``. Runtimes derive TensorRT
optimisation profiles from it, and :meth:`IoSpec.check_inputs` rejects a bad feed before it reaches
a backend whose own error would be far less clear.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

Dim = int | str
ShapeTriple = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]
DTYPES = frozenset({"float32", "float16", "int64", "int32", "bool", "uint8"})


class IoSpecError(ValueError):
    """io_spec.json is malformed, or a feed does not match it."""


@dataclass(frozen=True)
class TensorSpec:
    name: str
    dtype: str
    shape: tuple[Dim, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> TensorSpec:
        missing = {"name", "dtype", "shape"} - set(data)
        if missing:
            raise IoSpecError(f"{where}: missing keys {sorted(missing)}")
        dtype = str(data["dtype"])
        if dtype not in DTYPES:
            raise IoSpecError(f"{where} ({data['name']!r}): dtype {dtype!r} not in {sorted(DTYPES)}")
        shape = tuple(data["shape"])
        for dim in shape:
            if not (isinstance(dim, str) or (isinstance(dim, int) and not isinstance(dim, bool) and dim >= 0)):
                raise IoSpecError(f"{where} ({data['name']!r}): shape entry {dim!r} is neither a name nor an int >= 0")
        return cls(str(data["name"]), dtype, shape)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "shape": list(self.shape)}


@dataclass(frozen=True)
class IoSpec:
    head: str
    version: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    dynamic_axes: dict[str, tuple[int, int, int]]
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IoSpec:
        missing = {"head", "version", "inputs", "outputs"} - set(data)
        if missing:
            raise IoSpecError(f"io_spec: missing keys {sorted(missing)}")
        inputs = tuple(TensorSpec.from_dict(t, f"io_spec inputs[{i}]") for i, t in enumerate(data["inputs"]))
        outputs = tuple(TensorSpec.from_dict(t, f"io_spec outputs[{i}]") for i, t in enumerate(data["outputs"]))
        if not inputs or not outputs:
            raise IoSpecError("io_spec: needs at least one input and one output")
        axes: dict[str, tuple[int, int, int]] = {}
        for name, triple in dict(data.get("dynamic_axes", {})).items():
            if (
                len(triple) != 3
                or not all(isinstance(v, int) for v in triple)
                or not 1 <= triple[0] <= triple[1] <= triple[2]
            ):
                raise IoSpecError(
                    f"io_spec dynamic_axes[{name!r}]: need [min, opt, max] ints with 1 <= min <= opt <= max"
                )
            axes[str(name)] = (int(triple[0]), int(triple[1]), int(triple[2]))
        for t in inputs:
            for dim in t.shape:
                if isinstance(dim, str) and dim not in axes:
                    raise IoSpecError(f"io_spec input {t.name!r}: symbolic dim {dim!r} has no range in dynamic_axes")
        known = {"head", "version", "inputs", "outputs", "dynamic_axes"}
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(str(data["head"]), str(data["version"]), inputs, outputs, axes, extra)

    @classmethod
    def load(cls, path: Path) -> IoSpec:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise IoSpecError(f"cannot read io_spec {path}: {exc}") from exc
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        return {
            "head": self.head,
            "version": self.version,
            "inputs": [t.to_dict() for t in self.inputs],
            "outputs": [t.to_dict() for t in self.outputs],
            "dynamic_axes": {k: list(v) for k, v in self.dynamic_axes.items()},
            **self.extra,
        }

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.inputs)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.outputs)

    def profile_shapes(self) -> dict[str, ShapeTriple]:
        """Per input, concrete (min, opt, max) shapes: symbolic dims replaced by their range ends."""
        result: dict[str, ShapeTriple] = {}
        for t in self.inputs:
            triple = tuple(
                tuple(d if isinstance(d, int) else self.dynamic_axes[d][k] for d in t.shape) for k in range(3)
            )
            result[t.name] = triple  # type: ignore[assignment]
        return result

    def is_dynamic(self, name: str) -> bool:
        return any(isinstance(d, str) for t in self.inputs if t.name == name for d in t.shape)

    def check_inputs(self, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Contiguous arrays in spec order, or an error naming the offending input and dim."""
        expected, given = set(self.input_names), set(inputs)
        if expected != given:
            raise IoSpecError(
                f"head {self.head!r}: inputs {sorted(given)} do not match io_spec "
                f"(missing {sorted(expected - given)}, unexpected {sorted(given - expected)})"
            )
        bound: dict[str, int] = {}
        feeds: dict[str, np.ndarray] = {}
        for t in self.inputs:
            array = np.asarray(inputs[t.name])
            if array.dtype != np.dtype(t.dtype):
                raise IoSpecError(f"head {self.head!r} input {t.name!r}: dtype {array.dtype}, expected {t.dtype}")
            if array.ndim != len(t.shape):
                raise IoSpecError(
                    f"head {self.head!r} input {t.name!r}: rank {array.ndim}, expected shape {list(t.shape)}"
                )
            for axis, (dim, size) in enumerate(zip(t.shape, array.shape, strict=True)):
                if isinstance(dim, int):
                    if size != dim:
                        raise IoSpecError(
                            f"head {self.head!r} input {t.name!r} axis {axis}: size {size}, expected {dim}"
                        )
                    continue
                lo, _, hi = self.dynamic_axes[dim]
                if not lo <= size <= hi:
                    raise IoSpecError(
                        f"head {self.head!r} input {t.name!r} axis {axis} ({dim}): size {size} outside [{lo}, {hi}]"
                    )
                if bound.setdefault(dim, size) != size:
                    raise IoSpecError(
                        f"head {self.head!r} input {t.name!r} axis {axis}: {dim}={size}, another input has {bound[dim]}"
                    )
            feeds[t.name] = np.ascontiguousarray(array)
        return feeds
