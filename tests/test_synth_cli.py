"""`vsgg synth` as registered by add_synth_commands, the bag hook, the bench and the drawing helper."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from vsgg_ros.synth.bench import run_synth_bench
from vsgg_ros.synth.cli import add_synth_commands
from vsgg_ros.synth.draw import contact_sheet, draw_graph
from vsgg_ros.synth.spec import VideoSpec
from vsgg_ros.synth.video import iter_video


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="vsgg")
    add_synth_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["synth", *argv])
    return int(args.handler(args))


def test_json_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--out", str(tmp_path), "--videos", "2", "--frames", "6", "--size", "96x72", "--seed", "4", "--json"]
    assert _run(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["videos"] == 2 and summary["frames"] == 12
    assert summary["pairs"] == summary["interactive_pairs"] + summary["non_interactive_pairs"]
    assert sum(summary["predicates"].values()) == summary["relations"]
    assert summary["formats"] == ["ag", "pvsg", "vidvrd"]
    assert (tmp_path / "ag/annotations/person_bbox.pkl").is_file()
    assert (tmp_path / "pvsg/pvsg.json").is_file() and (tmp_path / "synthroom.json").is_file()


def test_text_summary_has_histogram(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["--out", str(tmp_path), "--videos", "1", "--frames", "4", "--size", "64x48", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "non-interactive" in text and "not_contacting" in text and "#" in text


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [("--size", "big", "WIDTHxHEIGHT"), ("--formats", "ag,coco", "choose from"), ("--difficulty", "2", "difficulty")],
)
def test_bad_arguments_exit_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str, message: str
) -> None:
    assert _run(["--out", str(tmp_path), "--videos", "1", "--frames", "2", flag, value]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "synthroom.json").exists()


def test_bag_format_writes_readable_recordings_alongside_other_formats(tmp_path: Path) -> None:
    from vsgg_ros.io.bag_source import BagSource

    argv = ["--out", str(tmp_path), "--videos", "2", "--frames", "5", "--size", "64x48", "--formats", "bag,vidvrd"]
    assert _run([*argv, "--quiet"]) == 0
    assert sorted(p.name for p in (tmp_path / "bags").iterdir()) == ["SR0V0000", "SR0V0001"]
    frames = list(BagSource(tmp_path / "bags" / "SR0V0001").frames())
    assert [f.index for f in frames] == list(range(5))
    assert all(f.ground_truth is not None and f.ground_truth.frame_index == f.index for f in frames)
    assert frames[0].image.shape == (48, 64, 3)
    trajectories = json.loads((tmp_path / "vidvrd/train/SR0V0001.json").read_text())["trajectories"]
    assert len(trajectories) == 5  # the other formats still saw every frame


def test_bench_reports_throughput() -> None:
    result = run_synth_bench(0.05, size=(64, 48))
    assert result["frames"] >= 100 and result["fps"] > 0 and result["size"] == "64x48"
    with pytest.raises(ValueError):
        run_synth_bench(0.0)


def test_contact_sheet_draws_tiles_in_a_grid() -> None:
    frame, graph = next(iter_video(VideoSpec(seed=1, frames=1, size=(96, 72))))
    tile = draw_graph(frame, graph, scale=2)
    assert tile.dtype == np.uint8 and tile.shape[1] == 192 and tile.shape[0] > 144
    sheet = contact_sheet([tile] * 5, columns=3, gap=4)
    assert sheet.shape == (2 * (tile.shape[0] + 4) + 4, 3 * (192 + 4) + 4, 3)
    assert not np.array_equal(tile[:144], np.repeat(np.repeat(frame.image, 2, axis=0), 2, axis=1))
