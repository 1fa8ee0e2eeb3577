"""`vsgg bench pipeline`: the engine's own costs, measured side by side in one run.

- overhead: wall time per frame minus the time spent in the (cheap, replayed) tracker, predictor and
  source, at 20 tracked objects and 60 relations; goal ≤ 1 ms (5% of a 20 ms frame).
- overload: a 50 Hz camera with a predictor 3× slower than the frame period. Graphs must keep flowing
  at camera rate; prediction latency — from the capture of a predicted frame to the first published
  graph carrying its relations — has p99 ≤ 2× the predictor time; the input queue never grows past
  its bound. Staleness (age of the relations in every published graph) is reported too: by design it
  peaks near 2× predictor time + one frame, just before the next prediction lands.
- memory: RSS after a warm-up and after 20,000 frames; goal: growth < 5%.
- zmq: graphs per second received by a Python SUB over loopback TCP; goal ≥ 5,000/s.
"""

from __future__ import annotations

import gc
import os
import time
from typing import Any

from vsgg_ros.bench.synthetic import CostlyPredictor, SyntheticSource
from vsgg_ros.graph import Frame, SceneGraph
from vsgg_ros.ground_truth import GroundTruthPredictor, GroundTruthTracker
from vsgg_ros.pipeline import EngineConfig, Pipeline
from vsgg_ros.stats import LatencyHistogram

FRAME_MS = 20.0


class NullSink:
    def write(self, graph: SceneGraph, frame: Frame | None) -> None:
        """Discard: the bench measures the engine, not an output."""

    def close(self) -> None:
        """Nothing to finalise."""


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure_overhead(frames: int, n_objects: int = 20) -> dict[str, Any]:
    source = SyntheticSource(n_frames=frames, n_objects=n_objects)
    pipeline = Pipeline(source, GroundTruthTracker(), GroundTruthPredictor(), [NullSink()])
    t0 = time.perf_counter()
    stats = pipeline.run()
    wall_ms = (time.perf_counter() - t0) * 1e3 / frames
    stages = stats["stages_ms"]
    models_ms = sum(stages[s]["mean_ms"] for s in ("decode", "track", "predict"))  # type: ignore[index]
    overhead = max(wall_ms - models_ms, 0.0)
    return {
        "frames": frames,
        "objects": n_objects,
        "relations": len(source.annotation(0, 0).relations),
        "wall_ms_per_frame": round(wall_ms, 4),
        "source_tracker_predictor_ms": round(models_ms, 4),
        "overhead_ms_per_frame": round(overhead, 4),
        "overhead_share_of_20ms_frame": round(overhead / FRAME_MS, 4),
        "goal_ms": 1.0,
        "goal_met": overhead <= 1.0,
    }


def measure_overload(frames: int, predictor_ms: float) -> dict[str, Any]:
    fps = 1000.0 / (predictor_ms / 3.0)
    source = SyntheticSource(n_frames=frames, n_objects=20, fps=fps, rate_limited=True, wall_clock_stamps=True)
    config = EngineConfig(predictor_mode="async", drop_frames=True, latency_from="stamp")
    pipeline = Pipeline(source, GroundTruthTracker(), CostlyPredictor(predictor_ms), [NullSink()], config)
    staleness = LatencyHistogram()
    prediction_latency = LatencyHistogram()
    seen = {"predicted_frame": -1, "max_depth": 0}

    def observe(graph: SceneGraph) -> None:
        publish_ms = (time.time_ns() - graph.stamp_ns) / 1e6
        if graph.relations:
            rel = graph.relations[0]
            age_ms = rel.age_sec * 1e3 + publish_ms
            staleness.add(age_ms)
            predicted_frame = graph.frame_index - rel.age_frames
            if predicted_frame != seen["predicted_frame"]:
                seen["predicted_frame"] = predicted_frame
                prediction_latency.add(age_ms)
        seen["max_depth"] = max(seen["max_depth"], pipeline._inbox.qsize())

    stats = pipeline.run(on_graph=observe)
    p99 = prediction_latency.percentile(99)
    return {
        "source_fps": round(fps, 2),
        "predictor_ms": predictor_ms,
        "frames_in": stats["frames_in"],
        "graphs_out": stats["frames_out"],
        "predictions": stats["predictions"],
        "drops": stats["drops"],
        "publish_latency_ms": stats["latency_ms"],
        "prediction_latency_ms": prediction_latency.summary(),
        "relation_staleness_ms": staleness.summary(),
        "inbox_max_depth": seen["max_depth"],
        "inbox_bound": config.queue_size,
        "goal": "prediction latency p99 <= 2x predictor time; inbox never above its bound",
        "goal_met": p99 <= 2 * predictor_ms and seen["max_depth"] <= config.queue_size,
    }


def measure_memory(frames: int) -> dict[str, Any]:
    warmup = min(1000, frames // 10)
    source = SyntheticSource(n_frames=frames, n_objects=20)
    pipeline = Pipeline(source, GroundTruthTracker(), GroundTruthPredictor(), [NullSink()])
    marks: dict[str, int] = {}

    def observe(graph: SceneGraph) -> None:
        if graph.frame_index == warmup:
            gc.collect()
            marks["before"] = rss_bytes()

    pipeline.run(on_graph=observe)
    gc.collect()
    after = rss_bytes()
    before = marks.get("before", after)
    growth = (after - before) / before
    return {
        "frames": frames,
        "rss_before_mb": round(before / 2**20, 2),
        "rss_after_mb": round(after / 2**20, 2),
        "growth": round(growth, 4),
        "goal_growth": 0.05,
        "goal_met": growth < 0.05,
    }


def _count_graphs(endpoint: str, seconds: float, conn: Any) -> None:
    """Subscriber process: decode every graph to plain msgpack data, as a client app would."""
    import msgpack
    import zmq

    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, 100_000)
    sub.setsockopt(zmq.LINGER, 0)
    sub.connect(endpoint)
    sub.setsockopt(zmq.SUBSCRIBE, b"vsgg/graph/")
    poller = zmq.Poller()
    poller.register(sub, zmq.POLLIN)
    count, first, last = 0, 0.0, 0.0
    deadline = time.perf_counter() + seconds + 10.0
    while time.perf_counter() < deadline:
        if not poller.poll(500):
            if count:
                break
            continue
        _topic, payload = sub.recv_multipart()
        graph = msgpack.unpackb(payload)
        if graph.get("model_id") == "warmup":
            continue
        last = time.perf_counter()
        if count == 0:
            first = last
        count += 1
    conn.send({"received": count, "seconds": last - first})
    sub.close()


def measure_zmq(seconds: float = 1.0) -> dict[str, Any]:
    """Graphs/s from the ZeroMQ sink to a subscriber in another process over loopback TCP."""
    import multiprocessing

    from vsgg_ros.codec.wire import encode_graph
    from vsgg_ros.io.zmq_sink import ZmqGraphSink

    graph = SyntheticSource(n_frames=1, n_objects=20).annotation(0, 0)
    warmup = SyntheticSource(n_frames=1, n_objects=1).annotation(0, 0)
    warmup.model_id = "warmup"
    sink = ZmqGraphSink("tcp://127.0.0.1:0", hwm=100_000)
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_count_graphs, args=(sink.endpoint, seconds, child), daemon=True)
    proc.start()
    time.sleep(1.0)  # slow joiner: the subscription must reach the PUB before counting starts
    for _ in range(20):
        sink.write(warmup, None)
        time.sleep(0.01)
    sent = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for _ in range(50):
            sink.write(graph, None)
        sent += 50
    send_s = time.perf_counter() - t0
    result = parent.recv() if parent.poll(seconds + 15.0) else {"received": 0, "seconds": 0.0}
    proc.join(2.0)
    sink.close()
    rate = result["received"] / result["seconds"] if result["seconds"] > 0 else 0.0
    return {
        "objects": len(graph.objects),
        "relations": len(graph.relations),
        "payload_bytes": len(encode_graph(graph)),
        "sent": sent,
        "send_rate_per_s": round(sent / send_s, 1),
        "received": result["received"],
        "hwm_drops": sink.drops.get("zmq_hwm", 0),
        "received_decoded_per_s": round(rate, 1),
        "goal_per_s": 5000,
        "goal_met": rate >= 5000,
    }


def run_pipeline_bench(frames: int = 2000, predictor_ms: float = 60.0, rss_frames: int = 20_000) -> dict[str, Any]:
    return {
        "overhead": measure_overhead(frames),
        "overload_3x": measure_overload(min(frames, 300), predictor_ms),
        "memory": measure_memory(rss_frames),
        "zmq_loopback": measure_zmq(),
    }
