"""ROS 2 node: republish SceneGraph topics on ZeroMQ (``ros2 run vsgg_ros zmq_bridge_node``).

Parameters: :data:`vsgg_ros.ros.params.BRIDGE_PARAMS`. Topic names are resolved like any subscription
(relative names land in the node's namespace, so ``scene_graph`` pairs with the perception node).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import rclpy
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node

try:  # Iron and later
    from rclpy.event_handler import SubscriptionEventCallbacks
except ImportError:  # Humble
    from rclpy.qos_event import SubscriptionEventCallbacks
from rclpy.qos import qos_policy_name_from_kind

from vsgg_ros.codec.rosmsg import MsgTypes
from vsgg_ros.io.zmq_sink import ZmqGraphSink
from vsgg_ros.ros.bridge import GraphRelay, parse_topics
from vsgg_ros.ros.params import BRIDGE_PARAMS, resolve
from vsgg_ros.ros.perception_node import to_profile
from vsgg_ros.ros.qos import OUTPUT_QOS, incompatible_qos_message


class ZmqBridgeNode(Node):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__("vsgg_zmq_bridge", **kwargs)
        for spec in BRIDGE_PARAMS:
            self.declare_parameter(
                spec.name, spec.default, ParameterDescriptor(description=spec.description, read_only=True)
            )
        values = resolve(BRIDGE_PARAMS, {s.name: self.get_parameter(s.name).value for s in BRIDGE_PARAMS})
        sink = ZmqGraphSink(values["endpoint"], latest_only=values["latest_only"], hwm=values["hwm"])
        self.relay = GraphRelay(sink)
        scene_graph = MsgTypes.from_rclpy().scene_graph
        for topic in parse_topics(values["topics"]):
            events = SubscriptionEventCallbacks(incompatible_qos=self._incompatible(topic))
            self.create_subscription(
                scene_graph, topic, self.relay.on_message, to_profile(OUTPUT_QOS), event_callbacks=events
            )
        self.get_logger().info(f"relaying {values['topics']} to {sink.endpoint}")

    def _incompatible(self, topic: str) -> Any:
        def callback(info: Any) -> None:
            policy = qos_policy_name_from_kind(info.last_policy_kind)
            self.get_logger().error(incompatible_qos_message(topic, policy, OUTPUT_QOS))

        return callback


def main(args: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="[%(name)s] %(levelname)s: %(message)s")
    rclpy.init(args=args if args is not None else sys.argv)
    node = None
    try:
        node = ZmqBridgeNode()
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if node is not None:
            node.relay.close()
            node.destroy_node()
        rclpy.try_shutdown()
    return 0
