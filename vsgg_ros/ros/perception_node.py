"""ROS 2 lifecycle node: camera images in, scene graphs out (``ros2 run vsgg_ros perception_node``).

A thin rclpy shell around :class:`vsgg_ros.ros.engine.EngineHost`: it declares the parameters of
:data:`vsgg_ros.ros.params.PERCEPTION_PARAMS`, creates subscriptions, publishers, services and timers,
and forwards everything else. Topics are relative, so a namespace or a remap places them:

- in: ``image`` (sensor_msgs/Image or CompressedImage), ``ground_truth`` (head gt), ``detections_in``;
- out: ``scene_graph``, ``detections``, ``debug_image`` and ``markers`` (only while subscribed),
  ``vocabulary`` (latched), ``/diagnostics``.

See docs/ros.md for the full interface.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import rclpy
from rcl_interfaces.msg import ParameterDescriptor, SetParametersResult
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy, qos_policy_name_from_kind
from std_srvs.srv import SetBool, Trigger

try:  # Iron and later
    from rclpy.event_handler import PublisherEventCallbacks, SubscriptionEventCallbacks
except ImportError:  # Humble
    from rclpy.qos_event import PublisherEventCallbacks, SubscriptionEventCallbacks

from vsgg_ros.codec.rosmsg import MsgTypes, graph_to_msg, msg_to_graph, vocabulary_to_msg
from vsgg_ros.config import ConfigError
from vsgg_ros.ros.convert import detections_from_msg, diagnostics_to_msg, stamp_ns
from vsgg_ros.ros.engine import EngineHost, vocabulary_from_request
from vsgg_ros.ros.msgs import RclpyFactory
from vsgg_ros.ros.params import PERCEPTION_PARAMS, validate
from vsgg_ros.ros.qos import LATCHED_QOS, OUTPUT_QOS, QosSettings, image_qos, incompatible_qos_message, no_input_message
from vsgg_ros.ros.sinks import DebugImageSink, DetectionsSink, MarkerSink, SceneGraphSink

_RELIABILITY = {
    "best_effort": ReliabilityPolicy.BEST_EFFORT,
    "reliable": ReliabilityPolicy.RELIABLE,
    "system_default": ReliabilityPolicy.SYSTEM_DEFAULT,
}
_DURABILITY = {"volatile": DurabilityPolicy.VOLATILE, "transient_local": DurabilityPolicy.TRANSIENT_LOCAL}
SIDE_QOS = QosSettings(reliability="best_effort", depth=10)


def to_profile(settings: QosSettings) -> QoSProfile:
    return QoSProfile(
        history=HistoryPolicy.KEEP_LAST,
        depth=settings.depth,
        reliability=_RELIABILITY[settings.reliability],
        durability=_DURABILITY[settings.durability],
    )


class PerceptionNode(LifecycleNode):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__("vsgg_perception", **kwargs)
        for spec in PERCEPTION_PARAMS:
            self.declare_parameter(spec.name, spec.default, ParameterDescriptor(description=spec.description))
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.factory = RclpyFactory()
        self.types = MsgTypes.from_rclpy()
        self.host: EngineHost | None = None
        self._entities: list[tuple[str, Any]] = []
        self._pubs: dict[str, Any] = {}
        self._image_topic = ""

    # -- parameters --------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        return {spec.name: self.get_parameter(spec.name).value for spec in PERCEPTION_PARAMS}

    def _on_set_parameters(self, params: list[Any]) -> SetParametersResult:
        names = {spec.name for spec in PERCEPTION_PARAMS}
        problems = validate(PERCEPTION_PARAMS, {p.name: p.value for p in params if p.name in names})
        if problems:
            return SetParametersResult(successful=False, reason="; ".join(problems))
        if self.host is not None and any(p.name == "enabled" for p in params):
            self.host.set_enabled(next(p.value for p in params if p.name == "enabled"))
        return SetParametersResult(successful=True)

    # -- lifecycle ---------------------------------------------------------------------------------
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        values = self.values()
        try:
            self._create_publishers(values)
            self.host = EngineHost(values, self._sinks(values))
            self.host.configure()
        except (ConfigError, ValueError, OSError, ImportError) as err:
            self.get_logger().error(f"configure failed: {err}")
            self._destroy_entities()
            self.host = None
            return TransitionCallbackReturn.FAILURE
        self._create_inputs(values)
        self._create_services()
        self._add("timer", self.create_timer(values["diagnostics_period_s"], self._publish_diagnostics))
        self._add("timer", self.create_timer(1.0, self._check_input))
        self.get_logger().info(f"configured: head {values['head']}, image topic {self._image_topic}")
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        assert self.host is not None
        result = super().on_activate(state)
        try:
            self.host.activate()
        except (ConfigError, ValueError, OSError, RuntimeError) as err:
            self.get_logger().error(f"activate failed: {err}")
            return TransitionCallbackReturn.FAILURE
        self._pubs["vocabulary"].publish(vocabulary_to_msg(self.host.vocabulary, self.types))
        return result

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        if self.host is not None and self.host.state == "active":
            self.host.deactivate()
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        if self.host is not None:
            self.host.cleanup()
        self._destroy_entities()
        self.host = None
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        if self.host is not None:
            self.host.shutdown()
        self._destroy_entities()
        return TransitionCallbackReturn.SUCCESS

    # -- entities ----------------------------------------------------------------------------------
    def _add(self, kind: str, entity: Any) -> Any:
        self._entities.append((kind, entity))
        return entity

    def _destroy_entities(self) -> None:
        destroy = {
            "pub": self.destroy_lifecycle_publisher,
            "sub": self.destroy_subscription,
            "srv": self.destroy_service,
            "timer": self.destroy_timer,
        }
        for kind, entity in reversed(self._entities):
            destroy[kind](entity)
        self._entities.clear()
        self._pubs.clear()

    def _create_publishers(self, values: dict[str, Any]) -> None:
        from diagnostic_msgs.msg import DiagnosticArray
        from sensor_msgs.msg import Image
        from vision_msgs.msg import Detection2DArray
        from visualization_msgs.msg import MarkerArray

        out = to_profile(OUTPUT_QOS)
        events = PublisherEventCallbacks(incompatible_qos=self._offered_incompatible)
        topics = {
            "scene_graph": (self.types.scene_graph, out),
            "detections": (Detection2DArray, out),
            "debug_image": (Image, to_profile(QosSettings("reliable", depth=1))),
            "markers": (MarkerArray, out),
            "vocabulary": (self.types.vocabulary, to_profile(LATCHED_QOS)),
            "/diagnostics": (DiagnosticArray, out),
        }
        for name, (msg_type, qos) in topics.items():
            pub = self.create_lifecycle_publisher(msg_type, name, qos, event_callbacks=events)
            self._pubs[name.lstrip("/")] = self._add("pub", pub)

    def _sinks(self, values: dict[str, Any]) -> list[Any]:
        pubs = self._pubs

        def subscribed(name: str) -> Any:
            return lambda: pubs[name].get_subscription_count() > 0

        return [
            SceneGraphSink(pubs["scene_graph"].publish, self.types),
            DetectionsSink(pubs["detections"].publish, self.factory),
            DebugImageSink(pubs["debug_image"].publish, self.factory, subscribed("debug_image")),
            MarkerSink(
                pubs["markers"].publish,
                self.factory,
                values["marker_scale"],
                values["marker_depth"],
                subscribed("markers"),
            ),
        ]

    def _create_inputs(self, values: dict[str, Any]) -> None:
        from sensor_msgs.msg import CompressedImage, Image

        assert self.host is not None
        host = self.host
        settings = image_qos(values["qos_reliability"], values["qos_depth"])
        events = SubscriptionEventCallbacks(incompatible_qos=self._requested_incompatible(settings))
        msg_type = CompressedImage if values["compressed"] else Image
        sub = self.create_subscription(msg_type, "image", host.on_image, to_profile(settings), event_callbacks=events)
        self._image_topic = sub.topic_name
        self._add("sub", sub)
        side = to_profile(SIDE_QOS)
        if host.wants_ground_truth:

            def on_ground_truth(msg: Any) -> None:
                host.on_ground_truth(msg_to_graph(msg))

            self._add("sub", self.create_subscription(self.types.scene_graph, "ground_truth", on_ground_truth, side))
        if host.wants_detections:
            from vision_msgs.msg import Detection2DArray

            def on_detections(msg: Any) -> None:
                host.on_detections(stamp_ns(msg.header), detections_from_msg(msg, host.object_labels()))

            self._add("sub", self.create_subscription(Detection2DArray, "detections_in", on_detections, side))

    def _create_services(self) -> None:
        from vsgg_ros.srv import AddObjects, GetSceneGraph, RemoveObjects, SetVocabulary

        services = {
            "enable": (SetBool, self._srv_enable),
            "reset": (Trigger, self._srv_reset),
            "set_vocabulary": (SetVocabulary, self._srv_set_vocabulary),
            "add_objects": (AddObjects, self._srv_add_objects),
            "remove_objects": (RemoveObjects, self._srv_remove_objects),
            "get_scene_graph": (GetSceneGraph, self._srv_get_scene_graph),
        }
        for name, (srv_type, callback) in services.items():
            self._add("srv", self.create_service(srv_type, f"~/{name}", callback))

    # -- QoS and input watch -----------------------------------------------------------------------
    def _requested_incompatible(self, settings: QosSettings) -> Any:
        def callback(info: Any) -> None:
            policy = qos_policy_name_from_kind(info.last_policy_kind)
            self.get_logger().error(incompatible_qos_message(self._image_topic, policy, settings))

        return callback

    def _offered_incompatible(self, info: Any) -> None:
        policy = qos_policy_name_from_kind(info.last_policy_kind)
        self.get_logger().error(incompatible_qos_message("an output topic", policy, OUTPUT_QOS, side="publisher"))

    def _check_input(self) -> None:
        host = self.host
        if host is None or host.state != "active":
            return
        silence = host.watchdog.check()
        if silence is not None:
            settings = image_qos(host.params["qos_reliability"], host.params["qos_depth"])
            self.get_logger().warn(no_input_message(self._image_topic, silence, settings, host.watchdog.received))

    def _publish_diagnostics(self) -> None:
        if self.host is None or self.host.state != "active" or "diagnostics" not in self._pubs:
            return  # a lifecycle publisher only publishes while active
        level, message, values = self.host.diagnostics()
        now = self.get_clock().now().nanoseconds
        name = f"{self.get_name()}: perception"
        msg = diagnostics_to_msg(self.factory, now, name, self.host.params["source_id"], level, message, values)
        self._pubs["diagnostics"].publish(msg)

    # -- services ----------------------------------------------------------------------------------
    def _srv_enable(self, request: Any, response: Any) -> Any:
        assert self.host is not None
        response.success, response.message = self.host.set_enabled(request.data)
        return response

    def _srv_reset(self, request: Any, response: Any) -> Any:
        assert self.host is not None
        response.success, response.message = self.host.reset()
        return response

    def _srv_set_vocabulary(self, request: Any, response: Any) -> Any:
        assert self.host is not None
        try:
            vocab = vocabulary_from_request(request.name, list(request.object_labels), list(request.predicate_labels))
        except (ConfigError, ValueError, KeyError) as err:
            response.success, response.message = False, str(err)
            return response
        response.success, response.message = self.host.set_vocabulary(vocab)
        if response.success:
            self._pubs["vocabulary"].publish(vocabulary_to_msg(vocab, self.types))
        return response

    def _srv_add_objects(self, request: Any, response: Any) -> Any:
        assert self.host is not None
        rotated = [i for i, b in enumerate(request.boxes) if b.center.theta != 0.0]
        if rotated:
            response.success, response.message = False, f"boxes {rotated} are rotated; give axis-aligned boxes"
            return response
        boxes = [
            (
                b.center.position.x - b.size_x / 2,
                b.center.position.y - b.size_y / 2,
                b.center.position.x + b.size_x / 2,
                b.center.position.y + b.size_y / 2,
            )
            for b in request.boxes
        ]
        response.success, response.message, ids = self.host.add_objects(boxes, list(request.labels))
        response.object_ids = ids
        return response

    def _srv_remove_objects(self, request: Any, response: Any) -> Any:
        assert self.host is not None
        response.success, response.message, removed = self.host.remove_objects([int(i) for i in request.object_ids])
        response.removed_ids = removed
        return response

    def _srv_get_scene_graph(self, request: Any, response: Any) -> Any:
        assert self.host is not None
        graph = self.host.latest.get()
        if graph is None:
            response.success, response.message = False, "no scene graph yet"
            return response
        response.success, response.message = True, f"frame {graph.frame_index}"
        response.graph = graph_to_msg(graph, self.types)
        return response


def main(args: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="[%(name)s] %(levelname)s: %(message)s")
    rclpy.init(args=args if args is not None else sys.argv)
    node = PerceptionNode()
    executor = MultiThreadedExecutor()
    executor.add_node(node)
    try:
        if node.get_parameter("autostart").value:
            if node.trigger_configure() != TransitionCallbackReturn.SUCCESS:
                node.get_logger().error("configure failed; fix the parameters and call the lifecycle services")
            elif node.trigger_activate() != TransitionCallbackReturn.SUCCESS:
                node.get_logger().error("activate failed")
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if node.host is not None:
            node.host.shutdown()
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()
    return 0
