"""Message conversions of the node, built as rosbags typestore classes and pushed through CDR.

vision_msgs is not in rosbags' stores; its definitions (vision_msgs 4.1, Humble/Jazzy) are registered
by vsgg_ros.ros.msgs. Serialising every message we build proves each field has the right type.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from vsgg_ros.graph import ObjectNode, Relation, SceneGraph, TrackState
from vsgg_ros.io.images import ros_image_to_rgb
from vsgg_ros.render import draw_graph
from vsgg_ros.ros.convert import (
    detections_from_msg,
    diagnostics_to_msg,
    graph_to_detections,
    graph_to_markers,
    image_to_frame,
    make_header,
    rgb_to_image,
)
from vsgg_ros.ros.msgs import TypestoreFactory, ros_typestore
from vsgg_ros.ros.sinks import DebugImageSink, MarkerSink

STORE = ros_typestore()
FACTORY = TypestoreFactory(STORE)


def roundtrip(msg: object, typename: str) -> object:
    return STORE.deserialize_cdr(bytes(STORE.serialize_cdr(msg, typename)), typename)


@pytest.fixture
def graph() -> SceneGraph:
    return SceneGraph(
        stamp_ns=1_700_000_000_123_456_789,
        frame_index=3,
        frame_id="cam_optical",
        source_id="front",
        objects=[
            ObjectNode(7, "person", (10.0, 20.0, 50.0, 100.0), 0, 0.9),
            ObjectNode(9, "cup", (60.0, 40.0, 80.0, 70.0), 5, 0.5, TrackState.LOST),
        ],
        relations=[Relation(7, 9, "holding", 2, "contacting", 0.8)],
    )


def detection_array(theta: float) -> object:
    header = make_header(FACTORY, 5, "cam")
    bbox = FACTORY.new(
        "vision_msgs/msg/BoundingBox2D",
        center=FACTORY.new(
            "vision_msgs/msg/Pose2D", position=FACTORY.new("vision_msgs/msg/Point2D", x=100.0, y=50.0), theta=theta
        ),
        size_x=40.0,
        size_y=20.0,
    )
    hyps = [
        FACTORY.new(
            "vision_msgs/msg/ObjectHypothesisWithPose",
            hypothesis=FACTORY.new("vision_msgs/msg/ObjectHypothesis", class_id=name, score=score),
        )
        for name, score in (("chair", 0.3), ("cup", 0.7))
    ]
    det = FACTORY.new("vision_msgs/msg/Detection2D", header=header, results=hyps, bbox=bbox, id="")
    return FACTORY.new("vision_msgs/msg/Detection2DArray", header=header, detections=[det])


def test_external_detections_take_the_best_hypothesis_and_the_vocabulary_id() -> None:
    msg = roundtrip(detection_array(0.0), "vision_msgs/msg/Detection2DArray")
    (det,) = detections_from_msg(msg, {"cup": 4})
    assert (det.label, det.class_id, det.score) == ("cup", 4, pytest.approx(0.7))
    assert det.box == pytest.approx((80.0, 40.0, 120.0, 60.0))  # centre ± half size


def test_rotated_external_box_becomes_its_axis_aligned_hull() -> None:
    # A 40x20 box turned by 90 degrees covers 20x40.
    (det,) = detections_from_msg(detection_array(math.pi / 2), None)
    assert det.box == pytest.approx((90.0, 30.0, 110.0, 70.0)) and det.class_id == -1


def test_tracked_objects_as_detection2darray(graph: SceneGraph) -> None:
    msg = roundtrip(graph_to_detections(graph, FACTORY), "vision_msgs/msg/Detection2DArray")
    assert (msg.header.stamp.sec, msg.header.stamp.nanosec, msg.header.frame_id) == (
        1_700_000_000,
        123_456_789,
        "cam_optical",
    )
    assert [d.id for d in msg.detections] == ["7", "9"]
    person = msg.detections[0]
    assert (person.bbox.center.position.x, person.bbox.center.position.y) == (30.0, 60.0)
    assert (person.bbox.size_x, person.bbox.size_y) == (40.0, 80.0)
    assert person.results[0].hypothesis.class_id == "person"
    back = detections_from_msg(msg, {"person": 0, "cup": 5})
    assert [d.box for d in back] == [o.box for o in graph.objects]


def test_image_round_trip_keeps_pixels_and_header() -> None:
    rgb = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    msg = roundtrip(rgb_to_image(rgb, FACTORY, make_header(FACTORY, 2_000_000_001, "cam")), "sensor_msgs/msg/Image")
    assert (msg.encoding, msg.step, msg.height, msg.width) == ("rgb8", 15, 4, 5)
    frame = image_to_frame(msg, 11, "front")
    assert np.array_equal(frame.image, rgb) and np.array_equal(ros_image_to_rgb(msg), rgb)
    assert (frame.index, frame.stamp_ns, frame.frame_id, frame.source_id) == (11, 2_000_000_001, "cam", "front")
    msg.header.frame_id = ""
    assert image_to_frame(msg, 0, "front", default_frame_id="fallback").frame_id == "fallback"


def test_markers_lay_the_graph_on_a_board_in_front_of_the_camera(graph: SceneGraph) -> None:
    width, height, scale, depth = 100, 120, 0.01, 2.0
    msg = roundtrip(
        graph_to_markers(graph, FACTORY, (width, height), scale, depth), "visualization_msgs/msg/MarkerArray"
    )
    first, *rest = msg.markers
    assert first.action == 3  # DELETEALL (visualization_msgs/Marker): each array replaces the last
    by_ns: dict[str, list] = {}
    for marker in rest:
        by_ns.setdefault(marker.ns, []).append(marker)
        assert marker.header.frame_id == "cam_optical" and marker.pose.orientation.w == 1.0
    assert {ns: len(ms) for ns, ms in by_ns.items()} == {"objects": 2, "labels": 2, "relations": 1, "predicates": 1}
    person = by_ns["objects"][0]
    assert person.type == 4 and len(person.points) == 5  # LINE_STRIP, closed rectangle
    # Pixel (10, 20) -> ((10 - 50) * 0.01, (20 - 60) * 0.01, 2.0) in the optical frame.
    corner = person.points[0]
    assert (corner.x, corner.y, corner.z) == pytest.approx((-0.4, -0.4, 2.0))
    arrow = by_ns["relations"][0]
    assert arrow.type == 0 and by_ns["predicates"][0].text == "holding"
    start, end = arrow.points
    assert (start.x, start.y) == pytest.approx(((30 - 50) * scale, (60 - 60) * scale))  # person centre
    assert (end.x, end.y) == pytest.approx(((70 - 50) * scale, (55 - 60) * scale))  # cup centre
    assert by_ns["labels"][0].text == "7:person"
    assert by_ns["objects"][1].color.a < by_ns["objects"][0].color.a  # lost tracks are drawn faded


def test_costly_outputs_are_built_only_when_subscribed(graph: SceneGraph) -> None:
    from vsgg_ros.graph import Frame

    frame = Frame(3, graph.stamp_ns, np.zeros((120, 100, 3), np.uint8), "cam_optical")
    subscribed = [False]
    images: list = []
    markers: list = []
    debug = DebugImageSink(images.append, FACTORY, lambda: subscribed[0])
    board = MarkerSink(markers.append, FACTORY, 0.01, 2.0, lambda: subscribed[0])
    for sink in (debug, board):
        sink.write(graph, frame)
    assert images == [] and markers == []
    subscribed[0] = True
    for sink in (debug, board):
        sink.write(graph, frame)
    assert len(markers) == 1
    (image,) = images
    assert np.array_equal(ros_image_to_rgb(image), draw_graph(frame.image, graph))
    assert (image.header.stamp.sec, image.header.stamp.nanosec) == (1_700_000_000, 123_456_789)


def test_diagnostics_message() -> None:
    msg = diagnostics_to_msg(FACTORY, 5_000_000_000, "vsgg: perception", "front", "WARN", "no image", {"fps": "0.00"})
    back = roundtrip(msg, "diagnostic_msgs/msg/DiagnosticArray")
    (status,) = back.status
    assert status.level == 1  # diagnostic_msgs/DiagnosticStatus: OK=0, WARN=1, ERROR=2, STALE=3
    assert (status.name, status.hardware_id, status.message) == ("vsgg: perception", "front", "no image")
    assert [(kv.key, kv.value) for kv in status.values] == [("fps", "0.00")]
    assert back.header.stamp.sec == 5


def test_factory_names_bad_fields_and_types() -> None:
    with pytest.raises(ValueError, match="no field"):
        FACTORY.new("vision_msgs/msg/Point2D", z=1.0)
    with pytest.raises(ValueError, match="not in the typestore"):
        FACTORY.new("vision_msgs/msg/Nope")
    with pytest.raises(ValueError, match="no constant"):
        FACTORY.const("visualization_msgs/msg/Marker", "CIRCLE")
