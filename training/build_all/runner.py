"""Runs a preset: skip what is unchanged, run the rest in order, keep going past a failing head."""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vsgg_training.build_all.keys import module_digest, step_key, tree_digest
from vsgg_training.build_all.state import State
from vsgg_training.build_all.steps import Preset, PresetError, Step, StepContext

OK = ("ran", "skipped")


@dataclass
class Outcome:
    """What happened to one step in this invocation (``status``: ran, skipped, failed, blocked, would-run)."""

    step: str
    head: str
    status: str
    reason: str = ""
    wall_s: float = 0.0
    result: dict[str, Any] = field(default_factory=dict)


def _parts(step: Step, upstream: dict[str, str | None]) -> dict[str, Any]:
    """Key components kept in the state, so a rerun can say *why* it reruns."""
    config = hashlib.sha256(json.dumps(step.config, sort_keys=True, default=str).encode()).hexdigest()
    code = hashlib.sha256("".join(module_digest(m) for m in sorted(step.code)).encode()).hexdigest()
    return {"config": config, "code": code, "upstream": upstream}


def _why(record: dict[str, Any] | None, parts: dict[str, Any], key: str, digest: str | None, force: bool) -> str:
    """Empty when the step can be skipped, else the reason it must run."""
    if force:
        return "--force"
    if record is None:
        return "never ran"
    if record.get("status") != "done":
        return f"last run {record.get('status')}"
    if record.get("key") == key:
        return "" if digest is not None and digest == record.get("digest") else "outputs missing or modified"
    old = record.get("parts", {})
    changed = [k for k in ("config", "code", "upstream") if old.get(k) != parts[k]]
    return f"{' + '.join(changed) or 'key'} changed"


def _select(preset: Preset, only: Iterable[str] | None) -> set[str]:
    if only is None:
        return set(preset.heads)
    wanted = set(only)
    unknown = sorted(wanted - set(preset.heads))
    if unknown:
        raise PresetError(f"preset {preset.name}: --only {unknown}: not a head of it ({', '.join(preset.heads)})")
    return wanted


def run_preset(
    preset: Preset,
    root: Path,
    *,
    models: Path | None = None,
    only: Iterable[str] | None = None,
    force: bool = False,
    dry_run: bool = False,
    progress: bool = True,
) -> list[Outcome]:
    """Run (or, with ``dry_run``, plan) ``preset`` into ``root``; returns one outcome per selected step.

    Raises :class:`PresetError` before any step when a requirement (GPU, dataset) is unmet, except in a
    dry run, which lists the problems as blocked pseudo-steps instead.
    """
    root, models = Path(root), Path(models) if models is not None else Path(root) / "models"
    heads = _select(preset, only)
    problems = preset.check()
    if problems and not dry_run:
        raise PresetError("\n".join(problems))
    state = State.load(root)
    outcomes: list[Outcome] = [Outcome("requirements", "-", "blocked", p) for p in problems]
    digests: dict[str, str | None] = {}  # outputs usable by downstream steps in this invocation
    pending: set[str] = set()  # dry run: steps that would run, so their outputs are unknown
    selected = [s for s in preset.steps if s.head in heads]
    bar = _bar(len(selected), progress)
    for step in preset.steps:
        if step.head not in heads:
            record = state.get(step.name)
            if (
                record
                and record.get("status") == "done"
                and tree_digest(step.out_dir(root, models)) == record["digest"]
            ):
                digests[step.name] = record["digest"]
            continue
        if bar is not None:
            bar.set_description(step.name)
        outcomes.append(_one(step, root, models, state, digests, pending, force, dry_run))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    if not dry_run:
        write_summary(root, preset, outcomes)
    return outcomes


def _one(
    step: Step,
    root: Path,
    models: Path,
    state: State,
    digests: dict[str, str | None],
    pending: set[str],
    force: bool,
    dry_run: bool,
) -> Outcome:
    out = step.out_dir(root, models)
    waiting = [n for n in step.needs if n in pending]
    if waiting:
        pending.add(step.name)
        return Outcome(step.name, step.head, "would-run", f"upstream {waiting[0]} runs first")
    missing = [n for n in step.needs if digests.get(n) is None]
    if missing:
        return Outcome(step.name, step.head, "blocked", f"upstream {missing[0]} failed, was blocked or is not built")
    upstream = {n: digests[n] for n in step.needs}
    key = step_key(step.name, step.config, step.code, upstream)
    parts = _parts(step, upstream)
    record = state.get(step.name)
    reason = _why(record, parts, key, tree_digest(out), force)
    if not reason:
        digests[step.name] = record["digest"]  # type: ignore[index]
        return Outcome(step.name, step.head, "skipped", "unchanged", result=record.get("result", {}))  # type: ignore[union-attr]
    if dry_run:
        pending.add(step.name)
        return Outcome(step.name, step.head, "would-run", reason)
    out.mkdir(parents=True, exist_ok=True)
    # upstream folders as recorded when those steps ran (they may belong to heads outside --only)
    inputs = {n: Path(state.get(n)["out"]) for n in step.needs}  # type: ignore[index]
    t0 = time.perf_counter()
    try:
        result = dict(step.action(StepContext(out, inputs, step.config, root)) or {})
    except (Exception, SystemExit) as exc:  # one head's failure must not stop the others
        wall = round(time.perf_counter() - t0, 1)
        message = f"{type(exc).__name__}: {exc}"
        state.record(step.name, status="failed", key=key, parts=parts, error=message, wall_s=wall,
                     traceback=traceback.format_exc()[-4000:])  # fmt: skip
        return Outcome(step.name, step.head, "failed", message, wall)
    wall = round(time.perf_counter() - t0, 1)
    digest = tree_digest(out)
    if digest is None:
        state.record(step.name, status="failed", key=key, parts=parts, error="no output files", wall_s=wall)
        return Outcome(step.name, step.head, "failed", f"step wrote nothing into {out}", wall)
    state.record(step.name, status="done", key=key, parts=parts, digest=digest, wall_s=wall, result=result,
                 out=str(out), finished=time.strftime("%Y-%m-%dT%H:%M:%S"))  # fmt: skip
    digests[step.name] = digest
    return Outcome(step.name, step.head, "ran", reason, wall, result)


def _bar(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="step", dynamic_ncols=True)


def summary_table(outcomes: list[Outcome]) -> str:
    """A fixed-width table: step, head, status, wall time, reason or headline result."""
    rows = [("step", "head", "status", "wall s", "reason / result")]
    for o in outcomes:
        note = o.reason if o.status != "ran" or not o.result else json.dumps(o.result, default=str)
        rows.append((o.step, o.head, o.status, f"{o.wall_s:.1f}", note[:100]))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4] for r in rows)


def write_summary(root: Path, preset: Preset, outcomes: list[Outcome]) -> Path:
    path = root / "summary.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "preset": preset.name,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "steps": [asdict(o) for o in outcomes],
    }
    path.write_text(json.dumps(data, indent=1, default=str) + "\n")
    return path
