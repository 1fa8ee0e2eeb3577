"""build_all: skip logic, partial reruns, failure isolation, dry runs and the GPU presets' preconditions.

The fake preset's steps are real (they read their config and upstream files and write files), only cheap.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from vsgg_training.build_all import Preset, PresetError, Step, StepContext, run_preset
from vsgg_training.build_all.cli import main as build_all_main
from vsgg_training.build_all.gpu import gpu_preset

CALLS: Counter[str] = Counter()


def _write(ctx: StepContext) -> dict[str, str]:
    """Concatenate the upstream files and this step's text: a change anywhere upstream changes the output."""
    upstream = "".join((p / "out.txt").read_text() for _, p in sorted(ctx.inputs.items()))
    text = upstream + str(ctx.config["text"])
    (ctx.out / "out.txt").write_text(text)
    return {"text": text}


def _counted(name: str):
    def action(ctx: StepContext) -> dict[str, str]:
        CALLS[name] += 1
        if ctx.config.get("fail"):
            raise RuntimeError(f"{name} broke")
        return _write(ctx)

    return action


def fake_preset(a: str = "a", b: str = "b", fail_b: bool = False) -> Preset:
    """Head a: prepare -> train -> export (into the models folder); head b: train -> export; c needs a and b."""
    steps = [
        Step("a/prepare", "a", _counted("a/prepare"), {"text": a}),
        Step("a/train", "a", _counted("a/train"), {"text": "T"}, needs=("a/prepare",)),
        Step("a/export", "a", _counted("a/export"), {"text": "E"}, needs=("a/train",), out="{models}/a-model"),
        Step("b/train", "b", _counted("b/train"), {"text": b, "fail": fail_b}),
        Step("b/export", "b", _counted("b/export"), {"text": "E"}, needs=("b/train",)),
        Step("c/join", "c", _counted("c/join"), {"text": "J"}, needs=("a/export", "b/export")),
    ]
    return Preset("fake", "test preset", tuple(steps))


def _statuses(outcomes) -> dict[str, str]:
    return {o.step: o.status for o in outcomes}


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    CALLS.clear()


def test_first_run_builds_everything_in_order(tmp_path: Path) -> None:
    outcomes = run_preset(fake_preset(), tmp_path, progress=False)
    assert set(_statuses(outcomes).values()) == {"ran"}
    assert (tmp_path / "models" / "a-model" / "out.txt").read_text() == "aTE"
    assert (tmp_path / "work" / "c" / "join" / "out.txt").read_text() == "aTEbEJ"
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [s["status"] for s in summary["steps"]] == ["ran"] * 6


def test_rerun_with_nothing_changed_skips_every_step(tmp_path: Path) -> None:
    run_preset(fake_preset(), tmp_path, progress=False)
    CALLS.clear()
    outcomes = run_preset(fake_preset(), tmp_path, progress=False)
    assert set(_statuses(outcomes).values()) == {"skipped"}
    assert sum(CALLS.values()) == 0


def test_changing_one_head_config_reruns_only_it_and_its_downstream(tmp_path: Path) -> None:
    run_preset(fake_preset(), tmp_path, progress=False)
    CALLS.clear()
    outcomes = _statuses(run_preset(fake_preset(a="A"), tmp_path, progress=False))
    assert outcomes == {"a/prepare": "ran", "a/train": "ran", "a/export": "ran", "b/train": "skipped",
                        "b/export": "skipped", "c/join": "ran"}  # fmt: skip
    assert set(CALLS) == {"a/prepare", "a/train", "a/export", "c/join"}
    assert (tmp_path / "work" / "c" / "join" / "out.txt").read_text() == "ATEbEJ"


def test_a_failing_head_keeps_the_others_and_is_retried(tmp_path: Path) -> None:
    run_preset(fake_preset(), tmp_path, progress=False)
    outcomes = run_preset(fake_preset(b="B", fail_b=True), tmp_path, progress=False)
    status = _statuses(outcomes)
    assert status["b/train"] == "failed" and "b/train broke" in outcomes[3].reason
    assert status["b/export"] == "blocked" and status["c/join"] == "blocked"
    assert status["a/export"] == "skipped"
    assert (tmp_path / "models" / "a-model" / "out.txt").read_text() == "aTE"
    assert (tmp_path / "work" / "c" / "join" / "out.txt").read_text() == "aTEbEJ"  # the last good artifact stays
    state = json.loads((tmp_path / "state.json").read_text())["steps"]
    assert state["b/train"]["status"] == "failed" and "b/train broke" in state["b/train"]["error"]
    CALLS.clear()
    status = _statuses(run_preset(fake_preset(b="B"), tmp_path, progress=False))
    assert status == {"a/prepare": "skipped", "a/train": "skipped", "a/export": "skipped", "b/train": "ran",
                      "b/export": "ran", "c/join": "ran"}  # fmt: skip


def test_modified_output_and_force_rerun(tmp_path: Path) -> None:
    run_preset(fake_preset(), tmp_path, progress=False)
    (tmp_path / "models" / "a-model" / "out.txt").write_text("tampered")
    outcomes = run_preset(fake_preset(), tmp_path, progress=False)
    assert _statuses(outcomes)["a/export"] == "ran"
    assert next(o for o in outcomes if o.step == "a/export").reason == "outputs missing or modified"
    assert _statuses(outcomes)["c/join"] == "skipped"  # the export rewrote identical bytes
    forced = run_preset(fake_preset(), tmp_path, only=["b"], force=True, progress=False)
    assert _statuses(forced) == {"b/train": "ran", "b/export": "ran"}


def test_dry_run_plans_with_reasons_and_writes_nothing(tmp_path: Path) -> None:
    planned = run_preset(fake_preset(), tmp_path, dry_run=True, progress=False)
    assert _statuses(planned)["a/prepare"] == "would-run" and planned[0].reason == "never ran"
    assert planned[1].reason == "upstream a/prepare runs first"
    assert not tmp_path.exists() or not any(tmp_path.iterdir())
    run_preset(fake_preset(), tmp_path, progress=False)
    changed = {o.step: o.reason for o in run_preset(fake_preset(b="X"), tmp_path, dry_run=True, progress=False)}
    assert changed["b/train"] == "config changed" and changed["a/prepare"] == "unchanged"


def test_only_restricts_heads_and_uses_recorded_upstream(tmp_path: Path) -> None:
    run_preset(fake_preset(), tmp_path, only=["a", "b"], progress=False)
    assert _statuses(run_preset(fake_preset(), tmp_path, only=["c"], progress=False)) == {"c/join": "ran"}
    with pytest.raises(PresetError, match=r"--only \['z'\]: not a head"):
        run_preset(fake_preset(), tmp_path, only=["z"], progress=False)


def test_only_without_upstream_built_is_blocked(tmp_path: Path) -> None:
    outcomes = run_preset(fake_preset(), tmp_path, only=["c"], progress=False)
    assert _statuses(outcomes) == {"c/join": "blocked"} and "a/export" in outcomes[0].reason


def test_preset_rejects_steps_out_of_order() -> None:
    late = Step("x/b", "x", _write, needs=("x/a",))
    with pytest.raises(ValueError, match=r"'x/b' needs \['x/a'\], not defined before it"):
        Preset("bad", "", (late, Step("x/a", "x", _write)))


def test_gpu_preset_without_dataset_fails_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no-such-dataset"
    with pytest.raises(PresetError, match=f"dataset root {missing} does not exist"):
        run_preset(gpu_preset("ag-gpu", missing), tmp_path / "build", progress=False)
    with pytest.raises(PresetError, match=r"--data-root is required \(the pvsg dataset folder\)"):
        run_preset(gpu_preset("pvsg-gpu", None), tmp_path / "build", progress=False)
    (tmp_path / "empty").mkdir()
    assert build_all_main(["--preset", "vidvrd-gpu", "--out", str(tmp_path / "b"), "--data-root",
                           str(tmp_path / "empty"), "--no-progress"]) == 2  # fmt: skip
    assert "is not a vidvrd dataset in the layout" in capsys.readouterr().err
    assert not (tmp_path / "build" / "state.json").exists()


def test_gpu_preset_without_gpu_fails_clearly(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is visible: the no-GPU error cannot occur here")
    with pytest.raises(PresetError, match=r"preset ag-gpu: GPU: no CUDA GPU visible to torch"):
        run_preset(gpu_preset("ag-gpu", tmp_path), tmp_path / "build", progress=False)


def test_synth_cpu_dry_run_lists_every_committed_head(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert build_all_main(["--preset", "synth-cpu", "--out", str(tmp_path / "b"), "--dry-run", "--no-progress"]) == 0
    text = capsys.readouterr().out
    for step in ("pals/train", "vost/export", "sage/evaluate", "detector/build", "vlm/train"):
        assert step in text
    assert not (tmp_path / "b").exists()


def test_evaluate_step_compares_with_the_card_within_tolerance(tmp_path: Path) -> None:
    from vsgg_training.build_all.actions import compare_metrics

    run = tmp_path / "run"
    run.mkdir()
    (run / "report.json").write_text(json.dumps({"eval": {"predcls/with": {"20": 0.7}, "sgdet/with": {"20": 0.5}}}))
    metrics = {"P": {"file": "report.json", "path": ["eval", "predcls/with", "20"]},
               "S": {"file": "report.json", "path": ["eval", "sgdet/with", "20"], "scale": 100.0}}  # fmt: skip
    config = {"metrics": metrics, "reference": {"P": 0.72, "S": 55.0}, "tolerance": 0.03, "digits": 4}
    out = tmp_path / "eval"
    out.mkdir()
    result = compare_metrics(StepContext(out, {"train": run}, config, tmp_path))
    assert result == {"within_tolerance": False, "P": 0.7, "S": 50.0}  # S is 5 points off, P only 0.02
    assert json.loads((out / "metrics.json").read_text())["deltas"] == {"P": -0.02, "S": -5.0}


def test_build_refreshes_the_manifest_of_its_models_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper
    from vsgg_training.build_all.cli import _refresh_manifest
    from vsgg_training.build_all.runner import Outcome

    from vsgg_ros.zoo import Zoo

    folder = tmp_path / "models" / "toy"
    folder.mkdir(parents=True)
    x, y = (helper.make_tensor_value_info(n, TensorProto.FLOAT, [1]) for n in "xy")
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])
    onnx.save(helper.make_model(graph), str(folder / "model.onnx"))
    spec = {"head": "pals", "version": 1, "inputs": [{"name": "x", "dtype": "float32", "shape": [1]}],
            "outputs": [{"name": "y", "dtype": "float32", "shape": [1]}]}  # fmt: skip
    (folder / "io_spec.json").write_text(json.dumps(spec))
    _refresh_manifest(tmp_path / "models", [Outcome("a/export", "a", "ran")])
    assert "names no vocabulary" in capsys.readouterr().err  # reported, not raised: the build itself succeeded
    assert not (tmp_path / "models" / "manifest.yaml").exists()
    (folder / "io_spec.json").write_text(json.dumps({**spec, "vocabulary": "ag"}))
    _refresh_manifest(tmp_path / "models", [Outcome("a/export", "a", "ran")])
    assert Zoo.load(tmp_path / "models" / "manifest.yaml").resolve("toy", head="pals") == folder.resolve()


def test_vlm_gpu_step_writes_samples_once_then_launches_torchrun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    torch = pytest.importorskip("torch")
    from vsgg_training.build_all import gpu

    calls: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(gpu, "call_cli", lambda module, argv: calls.append((module, list(argv))))
    monkeypatch.setattr(gpu.subprocess, "run", lambda cmd, **_: calls.append(("run", list(cmd))))
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    step = next(s for s in gpu_preset("ag-gpu", tmp_path, vlm_model="/ckpt/base").steps if s.name == "vlm/train")
    out = tmp_path / "out"
    out.mkdir()
    step.action(StepContext(out, {}, step.config, tmp_path))
    (module, first), (kind, cmd) = calls
    assert module == "vsgg_training.vlm.cli" and first[0] == "train" and first[first.index("--stages") + 1] == ""
    assert kind == "run" and cmd[1:6] == ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m"]
    assert cmd[6:10] == ["vsgg_training", "train", "--head", "vlm"]
    assert {"--resume", "--gpu"} <= set(cmd) and cmd[cmd.index("--model") + 1] == "/ckpt/base"
    assert cmd[cmd.index("--data") + 1] == "action_genome" and cmd[cmd.index("--out") + 1] == str(out)
    (out / "train.jsonl").write_text("{}\n")
    calls.clear()
    step.action(StepContext(out, {}, step.config, tmp_path))
    assert [c[0] for c in calls] == ["run"]  # samples already written: straight to training
