"""A SynthRoom bag replayed through the node's code path gives the graphs `vsgg run` gives.

The node's path minus rclpy: every bag message is handed to the EngineHost exactly as the subscription
callbacks do (raw image messages in, ground-truth graphs by stamp), the engine runs on its own thread
behind a PushSource, and the graphs leave through the node's SceneGraph publisher sink as
``vsgg_ros/msg/SceneGraph`` messages. The reference is `vsgg run --source <bag> --out <mcap>` run as a
user runs it. Latency fields differ by nature and are cleared before comparing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rosbags.highlevel import AnyReader

from vsgg_ros.codec.rosmsg import MsgTypes, msg_to_graph
from vsgg_ros.codec.typestore import SCENE_GRAPH_TYPE
from vsgg_ros.graph import SceneGraph
from vsgg_ros.io.bag_sink import GRAPH_TOPIC
from vsgg_ros.io.bag_writer import bag_folder
from vsgg_ros.ros.engine import EngineHost
from vsgg_ros.ros.msgs import TypestoreFactory, ros_typestore
from vsgg_ros.ros.sinks import DetectionsSink, SceneGraphSink
from vsgg_ros.synth import VideoSpec, iter_video
from vsgg_ros.synth.bag import COMPRESSED_TOPIC, GT_TOPIC, IMAGE_TOPIC, write_bag

FRAMES = 24


@pytest.fixture(scope="module")
def bag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = VideoSpec(seed=7, index=1, frames=FRAMES, size=(160, 120), fps=15.0)
    path = tmp_path_factory.mktemp("synth") / "room.mcap"
    return write_bag(path, iter_video(spec), video_id=spec.video_id, fps=spec.fps, compressed=True)


def vsgg_run_graphs(bag: Path, out: Path, topic: str) -> list[SceneGraph]:
    cmd = [sys.executable, "-m", "vsgg_ros.cli", "run", "--source", str(bag), "--topic", topic, "--out", str(out)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    with AnyReader([bag_folder(out)]) as reader:
        connections = [c for c in reader.connections if c.topic == GRAPH_TOPIC]
        return [msg_to_graph(reader.deserialize(raw, SCENE_GRAPH_TYPE)) for _, _, raw in reader.messages(connections)]


def node_path_graphs(bag: Path, image_topic: str, compressed: bool) -> tuple[list[SceneGraph], EngineHost, list]:
    graphs: list = []
    detections: list = []
    types = MsgTypes.from_typestore(ros_typestore())
    sinks = [SceneGraphSink(graphs.append, types), DetectionsSink(detections.append, TypestoreFactory())]
    # A generous stamp-join wait: on a loaded machine the ground truth of a frame can reach the host
    # well after its image (here it is read from the bag after the image), and the join must not give up.
    params = {"realtime": False, "compressed": compressed, "head": "gt", "sync_timeout_s": 5.0}
    host = EngineHost(params, sinks)
    host.configure()
    host.activate()
    with AnyReader([bag]) as reader:
        wanted = [c for c in reader.connections if c.topic in (image_topic, GT_TOPIC)]
        for connection, _, raw in reader.messages(wanted):
            msg = reader.deserialize(raw, connection.msgtype)
            if connection.topic == GT_TOPIC:
                host.on_ground_truth(msg_to_graph(msg))
            else:
                assert host.push_wait(msg, timeout=10.0)
    host.end_of_input()
    assert host.wait(timeout=30.0)
    return [msg_to_graph(m) for m in graphs], host, detections


def without_latency(graphs: list[SceneGraph]) -> list[SceneGraph]:
    for graph in graphs:
        graph.latency_ms = {}
    return graphs


@pytest.mark.parametrize(("topic", "compressed"), [(IMAGE_TOPIC, False), (COMPRESSED_TOPIC, True)])
def test_node_path_reproduces_vsgg_run(bag: Path, tmp_path: Path, topic: str, compressed: bool) -> None:
    expected = without_latency(vsgg_run_graphs(bag, tmp_path / "run.mcap", topic))
    got, host, detections = node_path_graphs(bag, topic, compressed)
    got = without_latency(got)

    assert len(expected) == FRAMES
    assert sum(len(g.relations) for g in expected) > 0, "the clip must contain relations to compare"
    assert got == expected
    stats = host.stats()
    assert stats["drops"] == {} and stats["ground_truth_missing"] == 0
    # The interop output carries the same objects, one Detection2DArray per graph, ids = track ids.
    assert [[d.id for d in msg.detections] for msg in detections] == [[str(o.id) for o in g.objects] for g in got]
