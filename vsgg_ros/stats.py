"""Streaming statistics with memory that does not grow with the stream.

Latencies go into a log-bucketed histogram (about 2% relative resolution from 1 µs to ~30 min), so
p50/p95/p99 over a run of any length cost a fixed few kilobytes.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

_MIN_MS = 1e-3
_GROWTH = 1.02
_BUCKETS = int(math.log(2e6 / _MIN_MS) / math.log(_GROWTH)) + 2
_LOG_GROWTH = math.log(_GROWTH)


class LatencyHistogram:
    """Fixed-size histogram of millisecond values; percentiles are bucket upper bounds."""

    __slots__ = ("_counts", "count", "max_ms", "sum_ms")

    def __init__(self) -> None:
        self._counts = np.zeros(_BUCKETS, dtype=np.int64)
        self.count = 0
        self.sum_ms = 0.0
        self.max_ms = 0.0

    def add(self, ms: float) -> None:
        ms = max(ms, 0.0)
        index = 0 if ms <= _MIN_MS else min(int(math.log(ms / _MIN_MS) / _LOG_GROWTH) + 1, _BUCKETS - 1)
        self._counts[index] += 1
        self.count += 1
        self.sum_ms += ms
        if ms > self.max_ms:
            self.max_ms = ms

    def percentile(self, q: float) -> float:
        """The q-th percentile (0–100); exact to one bucket (≤2% relative), 0 when empty."""
        if self.count == 0:
            return 0.0
        rank = max(1, math.ceil(q / 100.0 * self.count))
        index = int(np.searchsorted(np.cumsum(self._counts), rank))
        upper = _MIN_MS * _GROWTH**index
        return min(upper, self.max_ms)

    def summary(self) -> dict[str, float]:
        mean = self.sum_ms / self.count if self.count else 0.0
        return {
            "count": self.count,
            "mean_ms": round(mean, 4),
            "p50_ms": round(self.percentile(50), 4),
            "p95_ms": round(self.percentile(95), 4),
            "p99_ms": round(self.percentile(99), 4),
            "max_ms": round(self.max_ms, 4),
        }


@dataclass
class RateMeter:
    """Frames per second over the whole run (first to last event)."""

    count: int = 0
    first: float = 0.0
    last: float = 0.0

    def tick(self, now: float | None = None) -> None:
        now = time.perf_counter() if now is None else now
        if self.count == 0:
            self.first = now
        self.last = now
        self.count += 1

    @property
    def fps(self) -> float:
        span = self.last - self.first
        return (self.count - 1) / span if self.count > 1 and span > 0 else 0.0


@dataclass
class PipelineStats:
    """Counters shared by the engine's threads; ``snapshot`` is safe to call at any time."""

    stages: dict[str, LatencyHistogram] = field(default_factory=dict)
    end_to_end: LatencyHistogram = field(default_factory=LatencyHistogram)
    drops: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    input_rate: RateMeter = field(default_factory=RateMeter)
    output_rate: RateMeter = field(default_factory=RateMeter)
    predictions: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def stage(self, name: str, ms: float) -> None:
        with self._lock:
            hist = self.stages.get(name)
            if hist is None:
                hist = self.stages[name] = LatencyHistogram()
            hist.add(ms)

    def drop(self, reason: str, n: int = 1) -> None:
        with self._lock:
            self.drops[reason] += n

    def error(self, reason: str, n: int = 1) -> None:
        with self._lock:
            self.errors[reason] += n

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {
                "frames_in": self.input_rate.count,
                "frames_out": self.output_rate.count,
                "predictions": self.predictions,
                "input_fps": round(self.input_rate.fps, 2),
                "output_fps": round(self.output_rate.fps, 2),
                "drops": dict(sorted(self.drops.items())),
                "skipped_input": dict(sorted(self.errors.items())),
                "latency_ms": self.end_to_end.summary(),
                "stages_ms": {name: h.summary() for name, h in sorted(self.stages.items())},
            }
