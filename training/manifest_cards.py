"""What the model manifest takes from each ``card.md``: the training commands, the data, the headline metrics.

Commands are read from the card's ``bash`` blocks. Metrics are read with one pattern per metric, so a
retrained model whose card states new numbers regenerates the manifest without code changes, while a card
whose layout changed fails loudly, naming the metric whose pattern no longer matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_NUM = r"([0-9]+(?:\.[0-9]+)?)"


@dataclass(frozen=True)
class Metric:
    """``pattern`` must hold exactly one group: the value as printed in the card."""

    name: str
    protocol: str
    pattern: str
    unit: str = "fraction"


@dataclass(frozen=True)
class CardFacts:
    data: str | None
    metrics: tuple[Metric, ...] = ()
    vocabulary: str | None = None  # only for folders whose io_spec.json names none; "none": label-free outputs
    notes: dict[str, Any] = field(default_factory=dict)


_AG_PALS = "Action Genome protocol (vsgg_ros.eval), continuous IoU >= 0.5, SynthRoom test world seed 1000"
_AG_VOST = "Action Genome protocol (vsgg_ros.eval run_ag), SGDET with the head's boxes, noisy cue stand-in, world 1000"
_VIDVRD = "ImageNet-VidVRD protocol (vsgg_ros.eval.vidvrd), vIoU >= 0.5, PredCls, SynthRoom world 1000"
_TRASER = "TraSeR protocol (vsgg_ros.eval.traser_windows), GT trajectories, 60 held-out windows of world 0"
# The card's first results row: the decode that ``train`` itself runs (so build_all can compare it).
_TRASER_ROW = r"\| full, torch, 768 tokens \| "
_DET = "COCO-style 101-point AP@0.5 (vsgg_ros.detection.metrics), score >= 0.01, SynthRoom world 1000"

CARDS: dict[str, CardFacts] = {
    "pals-synth": CardFacts(
        data="SynthRoom world seed 0, 400 training videos (0-39, 50-409) x 30 frames, 320x240, difficulty 0.5, "
        "annotation involved (AG-like); full supervision, detector sim",
        metrics=(
            Metric("PREDCLS with-constraint R@20", _AG_PALS, r"\| PREDCLS \| with \| [0-9.]+ \| " + _NUM),
            Metric("PREDCLS with-constraint R@50", _AG_PALS, r"\| PREDCLS \| with \| [0-9.]+ \| [0-9.]+ \| " + _NUM),
            Metric("SGDET with-constraint R@20", _AG_PALS, r"\| SGDET \| with \| [0-9.]+ \| " + _NUM),
            Metric("SGDET with-constraint R@50", _AG_PALS, r"\| SGDET \| with \| [0-9.]+ \| [0-9.]+ \| " + _NUM),
        ),
    ),
    "vost-synth": CardFacts(
        data="SynthRoom world_specs(96, 20, seed=0, difficulty=0.3), ground-truth-derived noisy VLM-cue stand-in",
        metrics=(
            Metric(
                "SGDET with-constraint R@20",
                _AG_VOST,
                r"\| DSQI \+ MMFB \(VOST-SGG\) \| noisy \| [0-9.]+ / " + _NUM,
                "percent",
            ),
            Metric(
                "SGDET with-constraint mR@20",
                _AG_VOST,
                r"\| DSQI \+ MMFB \(VOST-SGG\) \| noisy \| [0-9. /]+ \| [0-9.]+ / " + _NUM,
                "percent",
            ),
        ),
    ),
    "sage-synth": CardFacts(
        data="SynthRoom world seed 0, 16 videos x 24 frames, 320x240, difficulty 0.5; 10 base predicates trained",
        metrics=(
            Metric("novel mAP", _VIDVRD, r"\| \*\*class-aware, TKE \(SAGE\)\*\* \| " + _NUM, "percent"),
            Metric(
                "all mAP",
                _VIDVRD,
                r"\| \*\*class-aware, TKE \(SAGE\)\*\* \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| " + _NUM,
                "percent",
            ),
            Metric(
                "all R@50", _VIDVRD, r"\| \*\*class-aware, TKE \(SAGE\)\*\* \|(?: [0-9.]+ \|){4} " + _NUM, "percent"
            ),
        ),
    ),
    "detector-synth": CardFacts(
        data="SynthRoom worlds (seed, difficulty) (1, 0.3), (2, 0.5), (3, 0.8); 100 videos x 30 frames, every 2nd",
        metrics=(Metric("mAP@0.5", _DET, r"mAP@0\.5 = " + _NUM),),
    ),
    # TraSeR's resampler maps trajectory tokens to latents: no label outputs, so no vocabulary to match.
    "traser-synth": CardFacts(
        data="SynthRoom world seed 0, 100 videos x 160 frames (every 5th held out), 8-sample windows at 1 fps",
        metrics=(
            Metric("object accuracy", _TRASER, _TRASER_ROW + _NUM, "percent"),
            Metric("relation recall tIoU 0.5", _TRASER, _TRASER_ROW + r"[0-9.]+ \| " + _NUM, "percent"),
            Metric("triplet recall tIoU 0.5", _TRASER, _TRASER_ROW + r"[0-9.]+ \| [0-9. /]+ \| " + _NUM, "percent"),
        ),
        vocabulary="none",
    ),
}


def card_commands(text: str) -> list[str]:
    """Shell commands of the card's ``bash`` blocks, backslash continuations joined, comment lines dropped."""
    commands: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        joined = re.sub(r"\\\n\s*", "", block)
        commands += [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return commands


def card_metrics(name: str, text: str, facts: CardFacts) -> list[dict[str, Any]]:
    """Each declared metric's value as the card prints it; a pattern that finds nothing is an error."""
    rows = []
    for metric in facts.metrics:
        found = re.search(metric.pattern, text)
        if found is None:
            raise ValueError(f"models/{name}/card.md: metric {metric.name!r} not found (pattern {metric.pattern!r})")
        rows.append(
            {"name": metric.name, "value": float(found.group(1)), "unit": metric.unit, "protocol": metric.protocol}
        )
    return rows


def read_card(folder: Path) -> dict[str, Any]:
    """``training`` (data + commands) and ``metrics`` for the manifest; no commands or metrics without a card
    (a fresh build folder: only the detector's build writes one)."""
    facts = CARDS.get(folder.name)
    card = folder / "card.md"
    text = card.read_text(encoding="utf-8") if card.is_file() else ""
    training = {"data": facts.data if facts else None, "commands": card_commands(text)}
    return {"training": training, "metrics": card_metrics(folder.name, text, facts) if facts and text else []}
