"""``python -m vsgg_training build_all --preset NAME --out DIR [--only HEAD,...] [--force] [--dry-run]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vsgg_training.build_all.runner import Outcome, run_preset, summary_table
from vsgg_training.build_all.steps import Preset, PresetError

PRESETS = ("synth-cpu", "ag-gpu", "pvsg-gpu", "vidvrd-gpu")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m vsgg_training build_all", description=__doc__)
    p.add_argument("--preset", choices=PRESETS, required=True)
    p.add_argument("--out", type=Path, required=True, help="build folder: state.json, summary.json, work/, engines/")
    p.add_argument("--models", type=Path, default=None, help="where model folders are written (default: OUT/models)")
    p.add_argument("--only", default=None, help="comma-separated heads (default: every head of the preset)")
    p.add_argument("--force", action="store_true", help="rerun every selected step even when its key is unchanged")
    p.add_argument("--dry-run", action="store_true", help="print what would run and why; change nothing")
    p.add_argument("--data-root", type=Path, default=None, help="dataset folder (GPU presets)")
    p.add_argument("--vlm-model", default=None, help="SceneGraphVLM base checkpoint (GPU presets; a local path)")
    p.add_argument("--no-progress", action="store_true")
    return p


def make_preset(name: str, data_root: Path | None, vlm_model: str | None) -> Preset:
    """The preset called ``name``; reference cards and engine sources come from the committed models/."""
    if name == "synth-cpu":
        from vsgg_training.build_all.synth_cpu import synth_cpu

        return synth_cpu()
    from vsgg_training.build_all.gpu import VLM_BASE, gpu_preset

    return gpu_preset(name, data_root, vlm_model=vlm_model or VLM_BASE)


def _refresh_manifest(models: Path, outcomes: list[Outcome]) -> None:
    """Rewrite ``models/manifest.yaml`` when a step ran and the folder holds models, so the zoo stays current."""
    if not any(o.status == "ran" for o in outcomes) or not models.is_dir():
        return
    from vsgg_training.manifest import main as manifest_main

    try:
        manifest_main(["--models", str(models)])
    except (ValueError, OSError) as exc:  # the build itself succeeded; say why the zoo was not refreshed
        print(f"build_all: {models / 'manifest.yaml'} not refreshed: {exc}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    only = [h.strip() for h in args.only.split(",") if h.strip()] if args.only else None
    try:
        preset = make_preset(args.preset, args.data_root, args.vlm_model)
        outcomes = run_preset(preset, args.out, models=args.models, only=only, force=args.force,
                              dry_run=args.dry_run, progress=not args.no_progress)  # fmt: skip
    except PresetError as exc:
        print(f"build_all: {exc}", file=sys.stderr)
        return 2
    print(summary_table(outcomes))
    if not args.dry_run:
        print(f"summary: {args.out / 'summary.json'}")
        _refresh_manifest(args.models or args.out / "models", outcomes)
    counts = {s: sum(o.status == s for o in outcomes) for s in ("ran", "skipped", "failed", "blocked", "would-run")}
    print(json.dumps(counts))
    return 1 if counts["failed"] or counts["blocked"] else 0
