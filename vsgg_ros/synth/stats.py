"""Summary of a generated world: predicate histogram and interactive vs non-interactive pairs.

A person–object pair in a frame is *interactive* when its contacting labels are anything other than
``not_contacting`` or its attention label is ``looking_at``; otherwise it is *non-interactive*
(the pairs a detector proposes and a relation head must learn to reject).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from vsgg_ros.synth.video import SynthStep


class Summary:
    def __init__(self) -> None:
        self.videos = 0
        self.frames = 0
        self.objects = 0
        self.predicates: Counter[str] = Counter()
        self.groups: Counter[str] = Counter()
        self.pairs = 0
        self.interactive = 0
        self.scenarios: Counter[str] = Counter()
        self.tracks = 0

    def begin_video(self, scenario: str) -> None:
        self.videos += 1
        self.scenarios[scenario] += 1

    def add(self, step: SynthStep) -> None:
        self.frames += 1
        self.objects += len(step.graph.objects)
        for r in step.graph.relations:
            self.predicates[r.predicate] += 1
            self.groups[r.group] += 1
        self.pairs += len(step.pairs)
        self.interactive += sum(1 for labels in step.pairs.values() if labels.interactive)

    def end_video(self, tracks: int) -> None:
        self.tracks += tracks

    def to_dict(self) -> dict[str, Any]:
        pairs = max(1, self.pairs)
        return {
            "videos": self.videos,
            "frames": self.frames,
            "tracks": self.tracks,
            "objects_per_frame": round(self.objects / max(1, self.frames), 3),
            "relations": sum(self.predicates.values()),
            "pairs": self.pairs,
            "interactive_pairs": self.interactive,
            "non_interactive_pairs": self.pairs - self.interactive,
            "non_interactive_fraction": round((self.pairs - self.interactive) / pairs, 4),
            "groups": dict(sorted(self.groups.items())),
            "predicates": dict(sorted(self.predicates.items(), key=lambda kv: (-kv[1], kv[0]))),
            "scenarios": dict(sorted(self.scenarios.items())),
        }
