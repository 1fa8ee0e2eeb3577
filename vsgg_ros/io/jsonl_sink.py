"""One JSON scene graph per line; each line is flushed, so an interrupted run keeps every finished frame."""

from __future__ import annotations

from pathlib import Path

from vsgg_ros.codec.jsoncodec import dumps_graph
from vsgg_ros.graph import Frame, SceneGraph


class JsonlSink:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("w", encoding="utf-8")

    def write(self, graph: SceneGraph, frame: Frame | None) -> None:
        self._file.write(dumps_graph(graph))
        self._file.write("\n")
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
