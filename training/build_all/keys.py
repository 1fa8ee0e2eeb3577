"""Step keys: a hash of everything a step's output depends on, so an unchanged key means "nothing to do"."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from vsgg_ros.zoo import sha256_file


def tree_digest(path: Path) -> str | None:
    """sha256 over (relative path, file sha256) of every file under ``path``; None when it holds no file."""
    if path.is_file():
        return sha256_file(path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []
    return tree_digest_of(files, path) if files else None


@cache
def module_digest(name: str) -> str:
    """sha256 of a module's source, or of every ``.py`` file of a package; a name that does not import is an error."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ValueError(f"code dependency {name!r} is not an importable module")
    origin = Path(spec.origin)
    if spec.submodule_search_locations:
        return tree_digest_of(sorted(origin.parent.rglob("*.py")), origin.parent)
    return sha256_file(origin)


def tree_digest_of(files: Iterable[Path], base: Path) -> str:
    """sha256 over (path relative to ``base``, file sha256) of ``files``, in the order given."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(f"{f.relative_to(base).as_posix()}\0{sha256_file(f)}\n".encode())
    return digest.hexdigest()


def step_key(name: str, config: Mapping[str, Any], code: Iterable[str], upstream: Mapping[str, str | None]) -> str:
    """The key of one step: its name, config, code digests and the digests of its upstream outputs."""
    payload = {
        "step": name,
        "config": config,
        "code": {m: module_digest(m) for m in sorted(code)},
        "upstream": dict(sorted(upstream.items())),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
