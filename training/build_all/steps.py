"""The vocabulary of a preset: steps, what a step sees when it runs, and what a preset requires up front."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class PresetError(RuntimeError):
    """A preset cannot start here (no GPU, dataset missing or of the wrong layout); the message says which."""


@dataclass(frozen=True)
class StepContext:
    """What an action gets: its own output folder, its upstream steps' folders, its config, the build root."""

    out: Path
    inputs: Mapping[str, Path]
    config: Mapping[str, Any]
    root: Path


@dataclass(frozen=True)
class Step:
    """One unit of work whose outputs live in one folder.

    ``out`` is relative to the build root; ``{models}`` in it stands for the models folder (``--models``).
    ``code`` names modules or packages whose source files are part of the step key, so editing a head's
    training code reruns its steps. ``action`` returns a JSON-able result (metrics, paths) for the summary.
    """

    name: str
    head: str
    action: Callable[[StepContext], Mapping[str, Any] | None]
    config: Mapping[str, Any] = field(default_factory=dict)
    needs: tuple[str, ...] = ()
    code: tuple[str, ...] = ()
    out: str = ""

    def out_dir(self, root: Path, models: Path) -> Path:
        rel = self.out or f"work/{self.name}"
        if rel.startswith("{models}"):
            return models / rel[len("{models}") :].lstrip("/")
        return root / rel


@dataclass(frozen=True)
class Requirement:
    """A precondition of a whole preset (GPU, dataset root); ``check`` returns None or the problem."""

    name: str
    check: Callable[[], str | None]


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    steps: tuple[Step, ...]
    requires: tuple[Requirement, ...] = ()

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for step in self.steps:
            if step.name in seen:
                raise ValueError(f"preset {self.name}: step {step.name!r} appears twice")
            unknown = [n for n in step.needs if n not in seen]
            if unknown:
                raise ValueError(f"preset {self.name}: step {step.name!r} needs {unknown}, not defined before it")
            seen.add(step.name)

    @property
    def heads(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.head for s in self.steps))

    def check(self) -> list[str]:
        """Every unmet requirement, as messages naming the preset."""
        problems = [(r.name, r.check()) for r in self.requires]
        return [f"preset {self.name}: {name}: {msg}" for name, msg in problems if msg]
