"""Scene graphs recorded by this project: a bag's SceneGraph topic, or a JSONL file (one graph a line).

Undecodable entries are not fatal: they are counted (``invalid``) so a protocol can report them (the
SceneGraphVLM protocol counts them as parse failures).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from rosbags.highlevel import AnyReader

from vsgg_ros.codec.jsoncodec import loads_graph
from vsgg_ros.codec.rosmsg import msg_to_graph
from vsgg_ros.codec.typestore import SCENE_GRAPH_TYPE
from vsgg_ros.codec.wire import WireFormatError
from vsgg_ros.graph import SceneGraph
from vsgg_ros.io.bag_source import bag_paths

log = logging.getLogger(__name__)

GT_TOPIC = "/vsgg/ground_truth"
PRED_TOPIC = "/vsgg/scene_graph"


@dataclass
class GraphStream:
    """Graphs in file order, plus how many entries could not be decoded and why (first few)."""

    graphs: list[SceneGraph]
    invalid: int = 0
    errors: list[str] = field(default_factory=list)
    source: str = ""

    def _bad(self, where: str, err: Exception) -> None:
        self.invalid += 1
        if len(self.errors) < 5:
            self.errors.append(f"{where}: {err}")


def is_bag(path: str | Path) -> bool:
    p = Path(path)
    return p.suffix in (".mcap", ".db3") or (p.is_dir() and (p / "metadata.yaml").is_file())


def graph_topics(path: str | Path) -> list[str]:
    with AnyReader(bag_paths(path)) as reader:
        return sorted({c.topic for c in reader.connections if c.msgtype == SCENE_GRAPH_TYPE})


def read_bag_graphs(path: str | Path, topic: str | None = None, prefer: str = PRED_TOPIC) -> GraphStream:
    """SceneGraphs of one topic: ``topic`` if given, else ``prefer`` if present, else the only one."""
    topics = graph_topics(path)
    if topic is None:
        if prefer in topics:
            topic = prefer
        elif len(topics) == 1:
            topic = topics[0]
        else:
            raise ValueError(f"{path}: cannot choose a SceneGraph topic among {topics or 'none'}; name one")
    elif topic not in topics:
        raise ValueError(f"{path}: no SceneGraph topic {topic!r}; SceneGraph topics: {topics or 'none'}")
    stream = GraphStream([], source=f"{path}:{topic}")
    with AnyReader(bag_paths(path)) as reader:
        connections = [c for c in reader.connections if c.topic == topic]
        for conn, stamp, raw in reader.messages(connections=connections):
            try:
                stream.graphs.append(msg_to_graph(reader.deserialize(raw, conn.msgtype)))
            except Exception as err:  # rosbags raises several types for corrupt payloads
                stream._bad(f"message at {stamp}", err)
    return stream


def read_jsonl_graphs(path: str | Path) -> GraphStream:
    """One graph per non-blank line; lines that are not a valid graph are counted, not fatal."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"JSONL file not found: {p}")
    stream = GraphStream([], source=str(p))
    with p.open("r", encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                stream.graphs.append(loads_graph(line))
            except WireFormatError as err:
                stream._bad(f"line {number}", err)
    return stream


def read_graphs(path: str | Path, topic: str | None = None, prefer: str = PRED_TOPIC) -> GraphStream:
    """A bag (rosbag2 folder, .mcap, .db3) or a JSONL file, told apart by its form."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p} does not exist")
    if is_bag(p):
        return read_bag_graphs(p, topic, prefer)
    if p.is_file():
        return read_jsonl_graphs(p)
    raise ValueError(f"{p} is neither a bag nor a JSONL file")
