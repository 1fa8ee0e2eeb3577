"""Model zoo manifest: the committed manifest matches models/, and resolve() refuses every kind of mismatch."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import pytest
import yaml

from vsgg_ros.config import ConfigError, load_config
from vsgg_ros.run import build_models
from vsgg_ros.vocab import load_vocabulary
from vsgg_ros.zoo import DEFAULT_MANIFEST, MODELS_DIR, Zoo, ZooError, sha256_file

onnx = pytest.importorskip("onnx")
manifest = pytest.importorskip("vsgg_training.manifest")

AG = load_vocabulary("ag")


def tiny_onnx(path: Path, ir: int = 10, opset: int = 20) -> None:
    """An Identity graph x -> y stamped with the given IR version and default-domain opset."""
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 4])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = ir
    onnx.save(model, str(path))


TOY_CARD = "# toy\n```bash\npython -m train \\\n    --out x\n# a comment\n```\n"


def make_zoo(
    root: Path, name: str = "toy-synth", head: str = "pals", vocabulary: str | None = "ag", card: str = TOY_CARD
) -> Zoo:
    folder = root / name
    folder.mkdir(parents=True)
    tiny_onnx(folder / "model.onnx")
    tensor = {"dtype": "float32", "shape": ["n", 4]}
    spec = {"head": head, "version": 1, "inputs": [{"name": "x", **tensor}],
            "outputs": [{"name": "y", **tensor}], "dynamic_axes": {"n": [1, 2, 8]}}  # fmt: skip
    if vocabulary is not None:
        spec["vocabulary"] = vocabulary
    (folder / "io_spec.json").write_text(json.dumps(spec))
    (folder / "parity.npz").write_bytes(b"parity")
    (folder / "card.md").write_text(card)
    (root / "manifest.yaml").write_text(manifest.render(manifest.build_manifest(root)))
    return Zoo.load(root / "manifest.yaml")


def test_committed_manifest_matches_the_committed_model_folders() -> None:
    committed = yaml.safe_load(DEFAULT_MANIFEST.read_text())
    diff = manifest.differences(manifest.build_manifest(MODELS_DIR), committed)
    assert diff == [], f"models/manifest.yaml is stale ({diff}); run: python -m vsgg_training manifest --models models"


def test_every_committed_model_resolves_for_its_head_and_vocabulary() -> None:
    zoo = Zoo.load()
    assert {"pals-synth", "vost-synth", "sage-synth", "detector-synth"} <= set(zoo.names())
    for name in zoo.names():
        entry = zoo.entry(name)
        assert zoo.resolve(name, head=entry.head, vocabulary=AG) == MODELS_DIR / name


def test_sha256_matches_the_standard_test_vector(tmp_path: Path) -> None:
    (tmp_path / "abc").write_bytes(b"abc")  # FIPS 180-2 example
    assert sha256_file(tmp_path / "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_generated_entry_reads_files_spec_card_and_runtime(tmp_path: Path) -> None:
    entry = make_zoo(tmp_path).entry("toy-synth")
    assert entry.head == "pals" and set(entry.files) == {"model.onnx", "io_spec.json", "parity.npz", "card.md"}
    assert entry.files["parity.npz"] == hashlib.sha256(b"parity").hexdigest()
    assert entry.graphs["."]["dynamic_axes"] == {"n": [1, 2, 8]}
    assert entry.training["commands"] == ["python -m train --out x"]
    assert entry.vocabulary["name"] == "ag" and (entry.vocabulary["objects"], entry.vocabulary["predicates"]) == (
        36,
        26,
    )
    # IR 10 first shipped in onnxruntime 1.18 (ONNX 1.16); opset 20 in 1.17: the stricter one wins
    assert entry.runtime == {"onnxruntime": ">=1.18", "tensorrt": ">=10.3", "onnx_ir_version": 10, "onnx_opset": 20}


def test_runtime_minimum_follows_opset_and_ir(tmp_path: Path) -> None:
    tiny_onnx(tmp_path / "model.onnx", ir=8, opset=17)  # ONNX 1.12 (IR 8, opset 17): onnxruntime 1.12
    assert manifest.runtime_requirements(tmp_path)["onnxruntime"] == ">=1.12"
    tiny_onnx(tmp_path / "model.onnx", ir=10, opset=22)
    assert manifest.runtime_requirements(tmp_path)["tensorrt"] == "unknown"


def test_hash_mismatch_is_refused(tmp_path: Path) -> None:
    zoo = make_zoo(tmp_path)
    (tmp_path / "toy-synth" / "parity.npz").write_bytes(b"retrained")
    with pytest.raises(ZooError, match=r"model 'toy-synth': sha256 mismatch for parity\.npz"):
        zoo.resolve("toy-synth")


def test_missing_and_unlisted_files_are_refused(tmp_path: Path) -> None:
    zoo = make_zoo(tmp_path)
    shutil.copy(tmp_path / "toy-synth" / "model.onnx", tmp_path / "toy-synth" / "model_fp16.onnx")
    with pytest.raises(ZooError, match=r"\['model_fp16\.onnx'\] .* are not in the manifest"):
        zoo.resolve("toy-synth")
    (tmp_path / "toy-synth" / "model_fp16.onnx").unlink()
    (tmp_path / "toy-synth" / "model.onnx").unlink()
    with pytest.raises(ZooError, match=r"missing file\(s\) \['model\.onnx'\]"):
        zoo.resolve("toy-synth")


def test_io_spec_mismatch_is_refused_and_named(tmp_path: Path) -> None:
    zoo = make_zoo(tmp_path)
    path = tmp_path / "toy-synth" / "io_spec.json"
    spec = json.loads(path.read_text())
    spec["dynamic_axes"]["n"] = [1, 2, 16]
    path.write_text(json.dumps(spec))
    with pytest.raises(ZooError, match=r"does not match the manifest's io_spec \(dynamic_axes: manifest"):
        zoo.resolve("toy-synth")


def test_vocabulary_mismatch_is_refused(tmp_path: Path) -> None:
    zoo = make_zoo(tmp_path)
    with pytest.raises(ZooError, match=r"trained on vocabulary 'ag'; the pipeline is configured for 'pvsg'"):
        zoo.resolve("toy-synth", vocabulary=load_vocabulary("pvsg"))
    reordered = dataclasses.replace(AG, objects=(AG.objects[1], AG.objects[0], *AG.objects[2:]))
    with pytest.raises(ZooError, match=r"labels differ from the ones it was trained on"):
        zoo.resolve("toy-synth", vocabulary=reordered)


def test_wrong_head_and_unknown_name_are_refused(tmp_path: Path) -> None:
    zoo = make_zoo(tmp_path)
    with pytest.raises(ZooError, match=r"'toy-synth' is a 'pals' model; the pipeline asks for head 'vost'"):
        zoo.resolve("toy-synth", head="vost")
    with pytest.raises(ZooError, match=r"model 'nope' is not in .*; known: toy-synth"):
        zoo.resolve("nope")


def test_malformed_manifest_is_refused(tmp_path: Path) -> None:
    (tmp_path / "manifest.yaml").write_text("schema: 1\nmodels:\n  x: {head: pals}\n")
    with pytest.raises(ZooError, match=r"entry 'x': missing keys"):
        Zoo.load(tmp_path / "manifest.yaml")


def test_run_config_selects_a_model_by_name_through_the_manifest() -> None:
    built = build_models(load_config(None, {"source": "x", "head": "pals", "head_model": "pals-synth"}, []))
    assert Path(built.predictor.folder) == MODELS_DIR / "pals-synth"  # type: ignore[union-attr]
    with pytest.raises(
        ConfigError, match=r"head_model: model 'vost-synth' is a 'vost' model; the pipeline asks for head 'pals'"
    ):
        build_models(load_config(None, {"source": "x", "head": "pals", "head_model": "vost-synth"}, []))
    with pytest.raises(ConfigError, match=r"detector_model: .*trained on vocabulary 'ag'; .* configured for 'pvsg'"):
        build_models(load_config(None, {"source": "x", "detector": "onnx", "detector_model": "detector-synth"},
                                 ["models.vocabulary=pvsg"]))  # fmt: skip


def test_label_free_model_fits_any_vocabulary_and_unnamed_vocabulary_is_refused(tmp_path: Path) -> None:
    # traser-synth is declared label-free; its card must still carry the metrics the manifest reads.
    card = TOY_CARD + "| full, torch, 768 tokens | 38.5 | 38.2 / 49.7 | 10.2 / 11.5 |\n"
    zoo = make_zoo(tmp_path / "a", name="traser-synth", head="traser", vocabulary=None, card=card)
    assert zoo.entry("traser-synth").vocabulary["name"] is None
    assert zoo.resolve("traser-synth", head="traser", vocabulary=load_vocabulary("pvsg")).name == "traser-synth"
    with pytest.raises(ValueError, match=r"names no vocabulary; add \"vocabulary\""):
        make_zoo(tmp_path / "b", name="other-synth", vocabulary=None)
