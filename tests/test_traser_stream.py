"""TraSeR streaming: span merging in stream time, the Predictor's 1-fps sampling / window schedule /
id mapping (scripted LM answer), and a SynthRoom bag through the engine with a random tiny LM."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vsgg_ros.graph import Frame, Track
from vsgg_ros.heads.traser_spans import Span, SpanTable

S = 1_000_000_000


def test_span_table_merges_within_gap_and_keeps_separate_runs() -> None:
    table = SpanTable(gap_ns=1 * S, horizon_ns=100 * S)
    table.add((1, 2, "on"), 0, 3 * S)
    table.add((1, 2, "on"), 4 * S, 6 * S)  # starts one sample after the end: same span
    table.add((1, 2, "on"), 9 * S, 9 * S)  # three seconds later: a new span
    table.add((2, 1, "on"), 2 * S, 2 * S)  # other direction: other key
    assert table.spans()[(1, 2, "on")] == [Span(0, 6 * S), Span(9 * S, 9 * S)]
    table.add((1, 2, "on"), 7 * S, 8 * S)  # bridges both
    assert table.spans()[(1, 2, "on")] == [Span(0, 9 * S)]
    assert set(table.active(2 * S)) == {(1, 2, "on"), (2, 1, "on")}
    assert set(table.active(10 * S)) == set()
    with pytest.raises(ValueError, match="ends"):
        table.add((1, 2, "on"), 5, 4)


def test_span_table_is_bounded() -> None:
    table = SpanTable(gap_ns=0, horizon_ns=10 * S, max_keys=3)
    for k in range(6):
        table.add((k, k + 1, "near"), k * S, k * S)
    table.prune()
    assert sorted(table.spans()) == [(3, 4, "near"), (4, 5, "near"), (5, 6, "near")]
    table.add((9, 1, "near"), 40 * S, 41 * S)
    table.prune()
    assert list(table.spans()) == [(9, 1, "near")]  # everything ended before 41 - 10 s


torch = pytest.importorskip("torch")
pytest.importorskip("transformers")


class ScriptedLm:
    """Stands in for the LM: always answers the same text, records the prompt lengths it was given."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls: list[int] = []

    def generate(self, embeds):
        from vsgg_ros.vlm.traser_generate import TraserReply

        self.calls.append(int(embeds.shape[0]))
        return TraserReply(self.text, "stop", 0.0, 1)


def _decoder(generator, lm_hidden: int = 32, use_windows: bool = True):
    from vsgg_training.traser.export import INPUTS, OUTPUTS
    from vsgg_training.traser.model import DualResampler
    from vsgg_training.traser.sft import small_resampler_config

    from vsgg_ros.heads.traser_decode import TraserDecoder
    from vsgg_ros.vlm.traser_lm import build_lm, lm_config, traser_tokenizer

    torch.manual_seed(0)
    resampler = DualResampler(small_resampler_config(128, lm_hidden)).eval()

    def run(inputs):
        with torch.no_grad():
            outs = resampler(*(torch.from_numpy(inputs[k]) for k in INPUTS))
        return {k: v.numpy() for k, v in zip(OUTPUTS, outs, strict=True)}

    tok = traser_tokenizer()
    lm = build_lm(lm_config(tok, hidden=lm_hidden, layers=1))
    if generator is None:
        from vsgg_ros.vlm.traser_generate import TransformersTraserLm

        generator = TransformersTraserLm(lm, tok, max_new_tokens=24)
    return TraserDecoder(run, generator, lm, tok, use_windows)


def _frames(n: int, fps: float = 10.0):
    """Frames at ``fps`` with three box-only tracks: person 7, cup 4, table 9 (ids deliberately unsorted)."""
    rng = np.random.default_rng(0)
    for i in range(n):
        image = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
        tracks = [
            Track(7, (10, 10, 80, 110), "person"),
            Track(4, (90, 40, 120, 70), "cup/glass/bottle"),
            Track(9, (60, 80, 160, 120), "table"),
        ]
        yield Frame(i, int(i * S / fps), image), tracks


ANSWER = (
    "<answer>\nobj[3]{id,name,attrs}:\n  1,cup-glass-bottle,\n  2,person,\n  3,table,\n"
    "rel[2]{subj,pred,obj,start,end}:\n  2,holding,1,0,1\n  1,on,3,0,0\n</answer>"
)


def test_predictor_schedule_and_mapping_to_tracks_and_stream_time() -> None:
    from vsgg_ros.heads.traser import TraserPredictor
    from vsgg_ros.heads.traser_clip import ClipConfig
    from vsgg_ros.vocab import load_vocabulary

    lm = ScriptedLm(ANSWER)
    head = TraserPredictor(_decoder(lm), ClipConfig(size=(112, 84)), load_vocabulary("ag"), window_frames=4,
                           every_seconds=2.0)  # fmt: skip
    preds = [head.predict(f, t) for f, t in _frames(45)]
    # 1-fps samples at 0, 1, 2, 3, 4 s; decodes when due with >= 2 samples: at 1 s, 3 s (2 s later).
    assert head.windows == 2 and len(lm.calls) == 2
    assert all(p.relations == [] and p.labels == {} for p in preds[:10])
    window1 = preds[10]
    assert (window1.frame_index, window1.stamp_ns) == (10, 1 * S)
    # Prompt ids 1..3 are the window's track ids in ascending order: 4 (cup), 7 (person), 9 (table).
    assert {k: v.label for k, v in window1.labels.items()} == {4: "cup/glass/bottle", 7: "person", 9: "table"}
    ag = load_vocabulary("ag")
    assert window1.labels[4].class_id == ag.object_id("cup/glass/bottle")
    # "holding" spans samples 0..1 = 0..1 s and holds at the window's last sample; "on" only at 0 s.
    assert [(r.subject_id, r.object_id, r.predicate) for r in window1.relations] == [(7, 4, "holding")]
    assert window1.relations[0].group == "contacting"
    assert all(p is window1 for p in preds[11:30])  # unchanged between decodes: the assembler ages it
    # Second window (samples 0..3 s) says holding on its samples 0..1 = 0..1 s again: merged, not duplicated.
    spans = head.spans.spans()
    assert spans[(7, 4, "holding")] == [Span(0, 1 * S)]
    assert spans[(4, 9, "on")] == [Span(0, 0)]
    assert preds[30].frame_index == 30 and preds[30].relations == []  # nothing holds at 3 s
    head.reset()
    assert len(head.spans) == 0 and head.predict(*next(_frames(1))).labels == {}


def test_predictor_drops_answers_about_ids_it_did_not_give() -> None:
    from vsgg_ros.heads.traser import TraserPredictor
    from vsgg_ros.heads.traser_clip import ClipConfig

    bad = "<answer>\nobj[1]{id,name,attrs}:\n  5,dog,\nrel[1]{subj,pred,obj,start,end}:\n  1,on,2,0,7\n</answer>"
    head = TraserPredictor(_decoder(ScriptedLm(bad)), ClipConfig(size=(112, 84)), None, window_frames=4)
    preds = [head.predict(f, t) for f, t in _frames(11)]
    assert head.windows == 1 and preds[-1].labels == {} and preds[-1].relations == []
    assert any("id 5 was not given" in p for p in head.last_window.decoded.problems)
    assert any("span outside" in p for p in head.last_window.decoded.problems)


def test_synthroom_bag_through_the_engine_with_a_random_lm(tmp_path: Path) -> None:
    from vsgg_ros.ground_truth import GroundTruthTracker
    from vsgg_ros.heads.traser import TraserPredictor
    from vsgg_ros.heads.traser_clip import ClipConfig
    from vsgg_ros.io.bag_source import BagSource
    from vsgg_ros.io.jsonl_sink import JsonlSink
    from vsgg_ros.pipeline import Pipeline
    from vsgg_ros.synth import VideoSpec, iter_video
    from vsgg_ros.synth.bag import write_bag
    from vsgg_ros.vocab import load_vocabulary

    torch.set_num_threads(1)
    spec = VideoSpec(frames=25, size=(160, 120))
    bag = write_bag(tmp_path / "room.mcap", iter_video(spec), video_id=spec.video_id, fps=spec.fps)
    head = TraserPredictor(_decoder(None), ClipConfig(size=(112, 84)), load_vocabulary("ag"), window_frames=4,
                           every_seconds=1.0)  # fmt: skip
    out = tmp_path / "graphs.jsonl"
    stats = Pipeline(BagSource(bag), GroundTruthTracker(), head, [JsonlSink(out)]).run()
    assert stats["frames_out"] == 25
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 25
    # Samples at 0, 1, 2 s: windows decoded at 1 s and 2 s, each over the ground-truth masks of the window.
    assert head.windows == 2
    window = head.last_window
    assert window is not None and window.reply.tokens <= 24
    ids = {o.id for _, g in iter_video(spec) for o in g.objects}
    for graph in lines:
        for rel in graph.get("relations", []):
            assert {rel["subject_id"], rel["object_id"]} <= ids
