"""`python -m vsgg_training`: one dispatcher in front of every head's own command line."""

from __future__ import annotations

import pytest
from vsgg_training.__main__ import main, split_head
from vsgg_training.detector.cli import _run_to_checkpoint


@pytest.mark.parametrize(
    ("argv", "head", "rest"),
    [
        (["train", "--head", "vost", "--out", "x"], "vost", ["train", "--out", "x"]),
        (["export", "--run", "r", "--head=pals"], "pals", ["export", "--run", "r"]),
        (["train", "--head"], "", ["train"]),
        (["train", "--out", "x"], None, ["train", "--out", "x"]),
    ],
)
def test_split_head_removes_only_the_head_flag(argv: list[str], head: str | None, rest: list[str]) -> None:
    assert split_head(argv) == (head, rest)


def test_unknown_or_missing_head_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--head", "nope", "--out", "x"]) == 2
    assert "'nope'" in capsys.readouterr().err
    assert main(["train", "--out", "x"]) == 2
    assert main([]) == 2


def test_a_head_subcommand_reaches_the_heads_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "--head", "pals"])  # the PALS parser itself complains about its required flags
    assert exit_info.value.code == 2
    assert "--run" in capsys.readouterr().err


def test_detector_export_maps_run_to_the_builds_checkpoint() -> None:
    assert _run_to_checkpoint(["--run", "w", "--out", "m"]) == ["--checkpoint", "w/detector.pt", "--out", "m"]
    assert _run_to_checkpoint(["--run=w"]) == ["--checkpoint", "w/detector.pt"]
    assert main(["export", "--head", "detector", "--out", "m"]) == 2
