"""Per-object LM input sequences from the TraSeR resampler's fixed-shape outputs (paper 003, eq. 5).

The exported graph returns every (object, window) slot with a presence flag, because a fixed-shape
graph cannot omit rows; the language model must only see the present windows, in time order.
"""

from __future__ import annotations

import numpy as np


def object_sequences(
    object_latents: np.ndarray, window_latents: np.ndarray, window_present: np.ndarray
) -> list[np.ndarray]:
    """``[Z_o; Z_o^(w1); Z_o^(w2); ...]`` per object, windows where the object is absent dropped."""
    o = object_latents.shape[0]
    if window_latents.shape[0] != o or window_present.shape != window_latents.shape[:2]:
        raise ValueError(
            f"shapes disagree: object_latents {object_latents.shape}, window_latents {window_latents.shape}, "
            f"window_present {window_present.shape}"
        )
    width = object_latents.shape[-1]
    return [
        np.concatenate([object_latents[i], window_latents[i][window_present[i] > 0].reshape(-1, width)], axis=0)
        for i in range(o)
    ]
