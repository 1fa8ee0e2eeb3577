"""PNG encoding and writing on a small thread pool, so file output overlaps rendering.

OpenCV releases the GIL while it encodes, so on a 2-core machine the frames of the next step render
while the previous ones compress. Each file's bytes depend only on its array, never on timing: the
output stays byte-identical. Frames are encoded once however many formats store them.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

# Sensor noise defeats LZ77 matching; Huffman-only coding is faster and smaller on these frames.
FRAME_PARAMS = [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_HUFFMAN_ONLY]
MASK_PARAMS = [cv2.IMWRITE_PNG_COMPRESSION, 1]
MAX_PENDING = 64


def encode_png(array: np.ndarray, params: list[int]) -> bytes:
    ok, data = cv2.imencode(".png", array, params)
    if not ok:
        raise RuntimeError(f"PNG encoding failed for an array of shape {array.shape}")
    return data.tobytes()


def _encode_and_write(array: np.ndarray, paths: list[Path], params: list[int], rgb: bool) -> None:
    data = encode_png(cv2.cvtColor(array, cv2.COLOR_RGB2BGR) if rgb else array, params)
    for path in paths:
        path.write_bytes(data)


class PngSink:
    """Queues PNG files; the arrays handed in must not be modified afterwards."""

    def __init__(self, workers: int = 2) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="synth-png")
        self.pending: deque[Future[None]] = deque()
        self.frame_paths: list[Path] = []

    def add_frame_path(self, path: Path) -> None:
        """Ask for the current step's RGB frame at ``path`` (written on :meth:`submit_frame`)."""
        self.frame_paths.append(path)

    def submit_frame(self, image: np.ndarray) -> None:
        """Encode the RGB frame once and write it to every path asked for since the last call."""
        if self.frame_paths:
            self._submit(image, self.frame_paths, FRAME_PARAMS, rgb=True)
            self.frame_paths = []

    def submit_mask(self, label_map: np.ndarray, path: Path) -> None:
        self._submit(label_map, [path], MASK_PARAMS, rgb=False)

    def _submit(self, array: np.ndarray, paths: list[Path], params: list[int], rgb: bool) -> None:
        while len(self.pending) >= MAX_PENDING:
            self.pending.popleft().result()
        self.pending.append(self.pool.submit(_encode_and_write, array, list(paths), params, rgb))

    def close(self) -> None:
        """Wait for every file (re-raising the first failure) and stop the workers."""
        try:
            while self.pending:
                self.pending.popleft().result()
        finally:
            self.pool.shutdown(wait=True)
