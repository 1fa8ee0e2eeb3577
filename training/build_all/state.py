"""``DIR/state.json``: per step, the key it last ran with, its status, output digest and result.

Written after every step (atomically), so a build killed half-way resumes from the last finished step.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

STATE_VERSION = 1


class State:
    def __init__(self, path: Path, steps: dict[str, dict[str, Any]] | None = None) -> None:
        self.path = path
        self.steps: dict[str, dict[str, Any]] = steps or {}

    @classmethod
    def load(cls, root: Path) -> State:
        path = root / "state.json"
        if not path.is_file():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not valid JSON ({exc}); delete it to rebuild everything") from exc
        if data.get("version") != STATE_VERSION or not isinstance(data.get("steps"), dict):
            raise ValueError(f"{path}: unknown state format; delete it to rebuild everything")
        return cls(path, data["steps"])

    def get(self, name: str) -> dict[str, Any] | None:
        return self.steps.get(name)

    def record(self, name: str, **fields: Any) -> None:
        self.steps[name] = fields
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"version": STATE_VERSION, "steps": self.steps}, indent=1, default=str) + "\n")
        os.replace(tmp, self.path)
