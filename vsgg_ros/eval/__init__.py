"""Evaluation: the standard video scene graph protocols as pure functions over numpy, dataset readers,
and `vsgg eval`.

Protocols (docs/evaluation.md): Action Genome R@K / mR@K / P@K / F1@K (:mod:`.ag`), SceneGraphVLM
P/R/F1 and SGG score (:mod:`.sgg`), VidVRD / VidOR relation detection (:mod:`.vidvrd`), PVSG mask-tube
recall (:mod:`.pvsg`) and TraSeR open-vocabulary metrics (:mod:`.traser`). Readers (:mod:`.readers`)
turn every ground truth into :class:`VideoGraphs`; :func:`evaluate_paths` / :func:`evaluate_graphs`
run a whole evaluation.
"""

from __future__ import annotations

import importlib
from typing import Any

# Public name -> defining module. Loaded on first use so that building the `vsgg` parser stays cheap
# (the protocols pull in scipy, rosbags and OpenCV).
_EXPORTS = {
    "AgFrameGT": "ag",
    "AgFrameMatches": "ag",
    "AgFramePrediction": "ag",
    "AgOptions": "ag",
    "AgSummary": "ag",
    "evaluate_ag_frame": "ag",
    "rank_triplets": "ag",
    "summarize_ag": "ag",
    "ag_gt_from_graph": "ag_adapt",
    "ag_prediction_from_graph": "ag_adapt",
    "EvalConfig": "evaluate",
    "evaluate_graphs": "evaluate",
    "evaluate_paths": "evaluate",
    "Judge": "judge",
    "SynonymJudge": "judge",
    "SggOptions": "sgg",
    "evaluate_sgg_sample": "sgg",
    "summarize_sgg": "sgg",
    "RelationInstance": "video",
    "VideoGraphs": "video",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "AgFrameGT",
    "AgFrameMatches",
    "AgFramePrediction",
    "AgOptions",
    "AgSummary",
    "EvalConfig",
    "Judge",
    "RelationInstance",
    "SggOptions",
    "SynonymJudge",
    "VideoGraphs",
    "ag_gt_from_graph",
    "ag_prediction_from_graph",
    "evaluate_ag_frame",
    "evaluate_graphs",
    "evaluate_paths",
    "evaluate_sgg_sample",
    "rank_triplets",
    "summarize_ag",
    "summarize_sgg",
]
