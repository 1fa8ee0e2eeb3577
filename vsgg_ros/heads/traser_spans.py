"""Relation time spans in stream time, merged across TraSeR windows with bounded state.

Each window reports relations on its sampled frames; mapped to stamps they become closed intervals
``[start_ns, end_ns]``. A new interval joins an existing one of the same (subject, object, predicate)
when it starts within ``gap_ns`` of that one's end (the next sampled frame), so a relation seen in two
consecutive windows is one span. Intervals that ended more than ``horizon_ns`` before the newest stamp
are dropped and at most ``max_keys`` relation keys are kept (oldest evicted): memory does not grow with
the stream.
"""

from __future__ import annotations

from dataclasses import dataclass

SpanKey = tuple[int, int, str]


@dataclass
class Span:
    start_ns: int
    end_ns: int
    score: float = 1.0


class SpanTable:
    def __init__(self, gap_ns: int, horizon_ns: int, max_keys: int = 1024) -> None:
        if gap_ns < 0 or horizon_ns <= 0 or max_keys < 1:
            raise ValueError(f"need gap_ns >= 0, horizon_ns > 0, max_keys >= 1; got {gap_ns}, {horizon_ns}, {max_keys}")
        self.gap_ns = gap_ns
        self.horizon_ns = horizon_ns
        self.max_keys = max_keys
        self._spans: dict[SpanKey, list[Span]] = {}
        self._newest = 0

    def add(self, key: SpanKey, start_ns: int, end_ns: int, score: float = 1.0) -> None:
        if end_ns < start_ns:
            raise ValueError(f"span of {key} ends ({end_ns}) before it starts ({start_ns})")
        spans = self._spans.setdefault(key, [])
        merged = Span(start_ns, end_ns, score)
        keep = []
        for s in spans:
            if s.start_ns <= merged.end_ns + self.gap_ns and merged.start_ns <= s.end_ns + self.gap_ns:
                merged = Span(min(s.start_ns, merged.start_ns), max(s.end_ns, merged.end_ns), max(s.score, score))
            else:
                keep.append(s)
        keep.append(merged)
        self._spans[key] = sorted(keep, key=lambda s: s.start_ns)
        self._newest = max(self._newest, end_ns)

    def prune(self, now_ns: int | None = None) -> None:
        """Forget spans that ended before ``now - horizon``; then the keys whose last span is oldest."""
        now = max(self._newest, now_ns or 0)
        for key in list(self._spans):
            alive = [s for s in self._spans[key] if s.end_ns >= now - self.horizon_ns]
            if alive:
                self._spans[key] = alive
            else:
                del self._spans[key]
        if len(self._spans) > self.max_keys:
            by_age = sorted(self._spans, key=lambda k: self._spans[k][-1].end_ns)
            for key in by_age[: len(self._spans) - self.max_keys]:
                del self._spans[key]

    def active(self, stamp_ns: int, tolerance_ns: int = 0) -> dict[SpanKey, Span]:
        """Keys with a span covering ``stamp_ns`` (within ``tolerance_ns``)."""
        out = {}
        for key, spans in self._spans.items():
            for s in spans:
                if s.start_ns - tolerance_ns <= stamp_ns <= s.end_ns + tolerance_ns:
                    out[key] = s
        return out

    def spans(self) -> dict[SpanKey, list[Span]]:
        return {k: list(v) for k, v in self._spans.items()}

    def __len__(self) -> int:
        return sum(len(v) for v in self._spans.values())

    def clear(self) -> None:
        self._spans.clear()
        self._newest = 0
