"""The rclpy nodes themselves; they need ROS 2 and the built vsgg_ros package (`colcon test`).

Skipped (not passed) elsewhere. Everything runs in one process on the default domain with bounded waits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.ros
rclpy = pytest.importorskip("rclpy", reason="needs ROS 2 (rclpy) and the built vsgg_ros package")

from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from rclpy.lifecycle import TransitionCallbackReturn  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy  # noqa: E402

from vsgg_ros.ros.convert import make_header, rgb_to_image  # noqa: E402
from vsgg_ros.ros.msgs import RclpyFactory  # noqa: E402


@pytest.fixture
def ros() -> Iterator[SingleThreadedExecutor]:
    rclpy.init()
    executor = SingleThreadedExecutor()
    try:
        yield executor
    finally:
        executor.shutdown()
        rclpy.try_shutdown()


def spin_until(executor: SingleThreadedExecutor, done: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done():
        executor.spin_once(timeout_sec=0.05)
    return done()


def active_node(executor: SingleThreadedExecutor, **params: Any) -> Any:
    from vsgg_ros.ros.perception_node import PerceptionNode

    overrides = [Parameter(name, value=value) for name, value in {"head": "none", **params}.items()]
    node = PerceptionNode(parameter_overrides=overrides)
    executor.add_node(node)
    assert node.trigger_configure() == TransitionCallbackReturn.SUCCESS
    assert node.trigger_activate() == TransitionCallbackReturn.SUCCESS
    return node


def test_image_in_scene_graph_out_with_the_image_header(ros: SingleThreadedExecutor) -> None:
    from sensor_msgs.msg import Image
    from vsgg_ros.msg import SceneGraph

    node = active_node(ros)
    helper = rclpy.create_node("vsgg_test_helper")
    ros.add_node(helper)
    received: list[Any] = []
    helper.create_subscription(SceneGraph, "/scene_graph", received.append, 10)
    camera = helper.create_publisher(Image, "/image", QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT))
    factory = RclpyFactory()
    msg = rgb_to_image(np.zeros((24, 32, 3), np.uint8), factory, make_header(factory, 1_234_000_000_567, "cam"))

    def publish_until_received() -> bool:
        camera.publish(msg)
        return bool(received)

    assert spin_until(ros, publish_until_received)
    graph = received[0]
    assert (graph.header.stamp.sec, graph.header.stamp.nanosec, graph.header.frame_id) == (1234, 567, "cam")
    node.trigger_deactivate()
    node.destroy_node()
    helper.destroy_node()


def test_vocabulary_is_latched_for_late_subscribers(ros: SingleThreadedExecutor) -> None:
    from vsgg_ros.msg import Vocabulary

    node = active_node(ros, vocabulary="vidvrd")
    helper = rclpy.create_node("vsgg_test_late")
    ros.add_node(helper)
    got: list[Any] = []
    latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)
    helper.create_subscription(Vocabulary, "/vocabulary", got.append, latched)
    assert spin_until(ros, lambda: bool(got))
    assert got[0].name == "vidvrd" and len(got[0].object_labels) == 35  # ImageNet-VidVRD: 35 classes
    node.trigger_deactivate()
    node.destroy_node()
    helper.destroy_node()


def test_services_and_parameter_validation(ros: SingleThreadedExecutor) -> None:
    from rcl_interfaces.msg import SetParametersResult
    from std_srvs.srv import SetBool

    node = active_node(ros)
    result: SetParametersResult = node.set_parameters([Parameter("qos_depth", value=0)])[0]
    assert not result.successful and "qos_depth" in result.reason
    helper = rclpy.create_node("vsgg_test_client")
    ros.add_node(helper)
    client = helper.create_client(SetBool, "/vsgg_perception/enable")
    assert spin_until(ros, lambda: client.service_is_ready())
    future = client.call_async(SetBool.Request(data=False))
    assert spin_until(ros, future.done)
    assert future.result().success and node.host.enabled is False
    node.trigger_deactivate()
    node.destroy_node()
    helper.destroy_node()
