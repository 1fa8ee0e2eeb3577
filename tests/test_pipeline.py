"""The streaming engine: every frame published, bounded queues, counted drops, relation aging."""

from __future__ import annotations

import threading
import time

import pytest

from vsgg_ros.assembler import GraphAssembler, RelationPolicy
from vsgg_ros.bench.synthetic import CostlyPredictor, SyntheticSource
from vsgg_ros.graph import Frame, Relation, SceneGraph, Track, TrackState
from vsgg_ros.ground_truth import GroundTruthPredictor, GroundTruthTracker
from vsgg_ros.interfaces import Prediction
from vsgg_ros.pipeline import EngineConfig, Pipeline


class ListSink:
    def __init__(self) -> None:
        self.graphs: list[SceneGraph] = []
        self.closed = False

    def write(self, graph: SceneGraph, frame: Frame | None) -> None:
        self.graphs.append(graph)

    def close(self) -> None:
        self.closed = True


def test_sync_gt_replay_reproduces_annotations_every_frame() -> None:
    source = SyntheticSource(n_frames=30, n_objects=5)
    sink = ListSink()
    stats = Pipeline(source, GroundTruthTracker(), GroundTruthPredictor(), [sink]).run()
    assert sink.closed
    assert [g.frame_index for g in sink.graphs] == list(range(30))
    for graph in sink.graphs:
        expected = source.annotation(graph.frame_index, graph.stamp_ns)
        assert [(o.id, o.label, o.box) for o in graph.objects] == [(o.id, o.label, o.box) for o in expected.objects]
        assert sorted(r.key for r in graph.relations) == sorted(r.key for r in expected.relations)
        assert all(r.age_frames == 0 for r in graph.relations)
    assert [g.sequence for g in sink.graphs] == list(range(1, 31))
    assert stats["frames_out"] == 30 and stats["predictions"] == 30
    assert stats["drops"] == {}
    assert set(stats["stages_ms"]) >= {"decode", "track", "predict", "assemble", "publish"}


def test_max_frames_stops_early_and_still_closes_sinks() -> None:
    sink = ListSink()
    stats = Pipeline(
        SyntheticSource(n_frames=1000), GroundTruthTracker(), None, [sink], EngineConfig(max_frames=7)
    ).run()
    assert len(sink.graphs) == 7 and sink.closed
    assert stats["frames_out"] == 7


def test_async_slow_predictor_never_stalls_the_camera_and_ages_relations() -> None:
    # Camera at 100 Hz, predictor needs 60 ms: every frame is still published, relations carry an age.
    source = SyntheticSource(n_frames=60, n_objects=4, fps=100.0, rate_limited=True)
    sink = ListSink()
    config = EngineConfig(predictor_mode="async", drop_frames=True, relation_policy=RelationPolicy(None, None))
    stats = Pipeline(source, GroundTruthTracker(), CostlyPredictor(60.0), [sink], config).run()
    assert len(sink.graphs) == 60
    assert stats["predictions"] < 30
    assert stats["drops"].get("predictor_busy", 0) > 0
    ages = [r.age_frames for g in sink.graphs for r in g.relations]
    assert ages and max(ages) >= 3
    with_relations = [g for g in sink.graphs if g.relations]
    assert len(with_relations) >= 40  # carried forward between predictions, not only on predicted frames


def test_newest_frame_wins_when_the_camera_loop_is_slow() -> None:
    class SlowTracker(GroundTruthTracker):
        def step(self, frame, detections):  # type: ignore[override]
            time.sleep(0.01)
            return super().step(frame, detections)

    source = SyntheticSource(n_frames=200, n_objects=2)
    sink = ListSink()
    stats = Pipeline(source, SlowTracker(), None, [sink], EngineConfig(drop_frames=True, queue_size=2)).run()
    assert stats["drops"]["input_queue_full"] > 0
    assert len(sink.graphs) + stats["drops"]["input_queue_full"] == 200
    indices = [g.frame_index for g in sink.graphs]
    assert indices == sorted(indices) and indices[-1] == 199  # order kept, the last frame always arrives


def test_backpressure_mode_loses_nothing() -> None:
    class SlowSink(ListSink):
        def write(self, graph: SceneGraph, frame: Frame | None) -> None:
            time.sleep(0.002)
            super().write(graph, frame)

    sink = SlowSink()
    stats = Pipeline(SyntheticSource(n_frames=50, n_objects=2), GroundTruthTracker(), None, [sink]).run()
    assert len(sink.graphs) == 50 and stats["drops"] == {}


def test_stop_from_another_thread_finishes_cleanly() -> None:
    source = SyntheticSource(n_frames=10_000, n_objects=2, fps=200.0, rate_limited=True)
    sink = ListSink()
    config = EngineConfig(predictor_mode="async")
    pipeline = Pipeline(source, GroundTruthTracker(), CostlyPredictor(5.0), [sink], config)
    timer = threading.Timer(0.3, pipeline.stop)
    timer.start()
    t0 = time.perf_counter()
    pipeline.run()
    assert time.perf_counter() - t0 < 5.0
    assert sink.closed and 0 < len(sink.graphs) < 10_000


def test_a_failing_predictor_is_counted_and_the_stream_goes_on() -> None:
    class Flaky(GroundTruthPredictor):
        def predict(self, frame, tracks):  # type: ignore[override]
            if frame.index % 2:
                raise RuntimeError("model exploded")
            return super().predict(frame, tracks)

    sink = ListSink()
    source = SyntheticSource(n_frames=20, n_objects=2, fps=100.0, rate_limited=True)
    stats = Pipeline(source, GroundTruthTracker(), Flaky(), [sink], EngineConfig(predictor_mode="async")).run()
    assert len(sink.graphs) == 20
    assert stats["skipped_input"].get("predictor_failed", 0) >= 1


def _frame(index: int, stamp_s: float = 0.0) -> Frame:
    import numpy as np

    return Frame(index, int(stamp_s * 1e9), np.zeros((2, 2, 3), np.uint8))


def _tracks(*ids: int, lost: tuple[int, ...] = ()) -> list[Track]:
    return [Track(i, (0, 0, 1, 1), state=TrackState.LOST if i in lost else TrackState.TRACKED) for i in ids]


def test_assembler_ages_and_expires_relations_by_policy() -> None:
    assembler = GraphAssembler(RelationPolicy(max_age_frames=3, max_age_sec=None))
    assembler.update(Prediction(10, 0, [Relation(1, 2, "holding")]))
    ages = [len(assembler.assemble(_frame(i), _tracks(1, 2), {}).relations) for i in range(10, 16)]
    assert ages == [1, 1, 1, 1, 0, 0]  # ages 0..3 published, 4 and 5 expired
    graph = assembler.assemble(_frame(12, 0.5), _tracks(1, 2), {})
    assert graph.relations[0].age_frames == 2 and graph.relations[0].age_sec == pytest.approx(0.5)


def test_assembler_expires_by_seconds_and_withholds_missing_or_lost_tracks() -> None:
    assembler = GraphAssembler(RelationPolicy(max_age_frames=None, max_age_sec=1.0))
    assembler.update(Prediction(0, 0, [Relation(1, 2, "holding"), Relation(3, 1, "in_front_of")]))
    assert {r.key for r in assembler.assemble(_frame(1, 0.9), _tracks(1, 2, 3), {}).relations} == {
        (1, 2, "holding"),
        (3, 1, "in_front_of"),
    }
    assert assembler.assemble(_frame(2, 1.1), _tracks(1, 2, 3), {}).relations == []
    assembler.update(Prediction(3, int(1.1e9), [Relation(1, 2, "holding"), Relation(3, 1, "in_front_of")]))
    assert [r.key for r in assembler.assemble(_frame(4, 1.2), _tracks(1, 2), {}).relations] == [(1, 2, "holding")]
    assert assembler.assemble(_frame(5, 1.2), _tracks(1, 2, 3, lost=(2,)), {}).relations[0].key == (3, 1, "in_front_of")
    keep = GraphAssembler(RelationPolicy(None, None, keep_lost=True))
    keep.update(Prediction(0, 0, [Relation(1, 2, "holding")]))
    assert len(keep.assemble(_frame(1), _tracks(1, 2, lost=(2,)), {}).relations) == 1


def test_assembler_ignores_a_late_answer_for_an_older_frame() -> None:
    assembler = GraphAssembler(RelationPolicy(None, None))
    assembler.update(Prediction(20, 0, [Relation(1, 2, "holding")]))
    assembler.update(Prediction(15, 0, [Relation(1, 2, "touching")]))
    assert [r.predicate for r in assembler.assemble(_frame(21), _tracks(1, 2), {}).relations] == ["holding"]


def test_engine_config_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="queue_size"):
        EngineConfig(queue_size=0)
    with pytest.raises(ValueError, match="predictor_mode"):
        EngineConfig(predictor_mode="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_age_frames"):
        RelationPolicy(max_age_frames=-1)


def test_sigusr1_logs_stats_without_stopping(caplog: pytest.LogCaptureFixture) -> None:
    import logging
    import os
    import signal

    source = SyntheticSource(n_frames=40, n_objects=2, fps=200.0, rate_limited=True)
    sink = ListSink()
    pipeline = Pipeline(source, GroundTruthTracker(), None, [sink])

    def poke(graph: SceneGraph) -> None:
        if graph.frame_index == 10:
            os.kill(os.getpid(), signal.SIGUSR1)

    with caplog.at_level(logging.INFO, logger="vsgg_ros.pipeline"):
        pipeline.run(on_graph=poke)
    assert len(sink.graphs) == 40
    assert any('"frames_out"' in r.getMessage() for r in caplog.records)
