"""Detector-free candidates for discovery: sam2's automatic mask generator on a sparse point grid.

The paper's online stage proposes candidates with SAM2's automatic mask generator. It re-encodes the image
(a second encoder pass), so the tracker runs it only every ``grid_interval`` frames; detector boxes are the
cheap, preferred source. sam2 1.1.0's image predictor hard-codes the 1024-px feature sizes, so they are
set from the model's ``image_size`` here (without it, any other size fails with a view-size error).
"""

from __future__ import annotations

from typing import Any

import numpy as np


class GridProposer:
    """Candidate masks (frame resolution, best predicted IoU first) from a ``points_per_side``² grid."""

    def __init__(
        self,
        model: Any,
        points_per_side: int = 8,
        pred_iou_thresh: float = 0.7,
        stability_score_thresh: float = 0.9,
        box_nms_thresh: float = 0.7,
    ) -> None:
        from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator

        if points_per_side < 1:
            raise ValueError(f"grid points_per_side must be >= 1, got {points_per_side}")
        self._generator = SAM2AutomaticMaskGenerator(
            model,
            points_per_side=points_per_side,
            points_per_batch=min(64, points_per_side**2),
            pred_iou_thresh=pred_iou_thresh,
            stability_score_thresh=stability_score_thresh,
            box_nms_thresh=box_nms_thresh,
        )
        size = int(model.image_size)
        self._generator.predictor._bb_feat_sizes = [(size // 4,) * 2, (size // 8,) * 2, (size // 16,) * 2]

    def propose(self, image: np.ndarray) -> list[np.ndarray]:
        records = self._generator.generate(image)
        records.sort(key=lambda r: -float(r["predicted_iou"]))
        return [np.asarray(r["segmentation"], dtype=bool) for r in records]
