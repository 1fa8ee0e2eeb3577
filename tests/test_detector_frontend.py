"""OnnxDetector end to end on a hand-made constant-output ONNX model, label maps, vision_msgs, box AP."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from rosbags.typesys import Stores, get_typestore

from vsgg_ros.detection.detector import OnnxDetector
from vsgg_ros.detection.labelmap import LabelMap, load_class_names, packaged
from vsgg_ros.detection.metrics import ScoredBox, average_precision, per_class_ap
from vsgg_ros.detection.vision_msgs import detections_from_vision_msgs
from vsgg_ros.graph import Frame
from vsgg_ros.interfaces import Detector
from vsgg_ros.vocab import load_vocabulary

COCO80 = load_class_names("coco80")
AG = load_vocabulary("ag")


def constant_detector(folder: Path, output: np.ndarray, detector: dict) -> Path:
    """An ONNX 'detector' whose output is ``output`` whatever the image (0 * mean(image) keeps it an input)."""
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
        helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
        helper.make_node("Add", ["table", "nothing"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes,
        "const",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 640, 640])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(output.shape))],
        [numpy_helper.from_array(output, "table"), numpy_helper.from_array(np.array(0, np.float32), "zero")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    folder.mkdir()
    onnx.save(model, folder / "model.onnx")
    spec = {
        "head": "const-detector",
        "version": "1",
        "inputs": [{"name": "images", "dtype": "float32", "shape": [1, 3, 640, 640]}],
        "outputs": [{"name": "output0", "dtype": "float32", "shape": list(output.shape)}],
        "detector": {"input": "images", "output": "output0", "input_size": [640, 640], **detector},
    }
    (folder / "io_spec.json").write_text(json.dumps(spec))
    return folder


def coco_raw(candidates: list[tuple[float, float, float, float, str, float]]) -> np.ndarray:
    """[1, 84, N] Ultralytics raw layout from (cx, cy, w, h, coco class name, score) rows."""
    out = np.zeros((1, 84, len(candidates)), np.float32)
    for j, (cx, cy, w, h, name, score) in enumerate(candidates):
        out[0, :4, j] = (cx, cy, w, h)
        out[0, 4 + COCO80.index(name), j] = score
    return out


def test_onnx_detector_yolo_raw_with_coco_to_ag_map(tmp_path: Path) -> None:
    output = coco_raw(
        [
            (320, 320, 100, 200, "person", 0.9),  # input (270, 220, 370, 420) -> image y - 80
            (100, 200, 20, 40, "cup", 0.8),  # -> AG cup/glass/bottle
            (400, 200, 20, 40, "bottle", 0.7),  # -> AG cup/glass/bottle too
            (500, 500, 50, 50, "car", 0.95),  # no AG counterpart: dropped
            (200, 300, 60, 30, "couch", 0.1),  # below threshold
        ]
    )
    folder = constant_detector(
        tmp_path / "yolo",
        output,
        {"format": "yolo-raw", "resize": "letterbox", "classes": "coco80", "label_map": "coco80_to_ag.json"},
    )
    detector = OnnxDetector(folder, score_threshold=0.25)
    assert isinstance(detector, Detector)
    frame = Frame(index=0, stamp_ns=0, image=np.zeros((480, 640, 3), np.uint8))  # letterbox: 80 px pad top
    got = [(d.label, d.class_id, d.box, round(d.score, 6)) for d in detector.detect(frame)]
    cup = AG.object_id("cup/glass/bottle")
    assert got == [
        ("person", 0, (270.0, 140.0, 370.0, 340.0), 0.9),
        ("cup/glass/bottle", cup, (90.0, 100.0, 110.0, 140.0), 0.8),
        ("cup/glass/bottle", cup, (390.0, 100.0, 410.0, 140.0), 0.7),
    ]


def test_onnx_detector_end2end_identity_map(tmp_path: Path) -> None:
    rows = np.array([[[10, 20, 60, 80, 0.9, AG.object_id("table")], [0, 0, 0, 0, 0, 0]]], np.float32)
    folder = constant_detector(
        tmp_path / "e2e",
        rows,
        {"format": "yolo-end2end", "resize": "stretch", "classes": list(AG.objects), "label_map": "identity"},
    )
    frame = Frame(index=0, stamp_ns=0, image=np.zeros((320, 320, 3), np.uint8))  # stretch 640 -> 320: halve
    (table,) = OnnxDetector(folder, score_threshold=0.5).detect(frame)
    assert (table.label, table.box) == ("table", (5.0, 10.0, 30.0, 40.0))


def test_detector_folder_without_a_declared_format_is_rejected(tmp_path: Path) -> None:
    folder = constant_detector(tmp_path / "bad", np.zeros((1, 2, 6), np.float32), {"format": "ssd", "classes": []})
    with pytest.raises(ValueError, match="detector format 'ssd'"):
        OnnxDetector(folder)


def test_packaged_coco_to_ag_map_is_consistent() -> None:
    data = json.loads(packaged("coco80_to_ag.json").read_text())
    label_map = LabelMap.from_file(packaged("coco80_to_ag.json"), COCO80)
    assert len(COCO80) == 80 and COCO80[0] == "person" and COCO80[79] == "toothbrush"
    for name in ("cup", "bottle", "wine glass"):
        assert label_map.lookup(name) == ("cup/glass/bottle", AG.object_id("cup/glass/bottle"))
    assert label_map.lookup("couch") == ("sofa/couch", AG.object_id("sofa/couch"))
    assert label_map(COCO80.index("car")) is None
    assert sum(v is not None for v in label_map.table) == len(data["map"])


def test_label_map_errors_name_the_class() -> None:
    with pytest.raises(ValueError, match="not in vocabulary 'ag'"):
        LabelMap.from_mapping(["car"], {"car": "vehicle"}, AG)
    with pytest.raises(ValueError, match=r"does not have: \['zebra'\]"):
        LabelMap.from_mapping(["car"], {"zebra": "person"}, AG)
    with pytest.raises(ValueError, match=r"classes \['car'\] are not in vocabulary"):
        LabelMap.identity(["person", "car"], AG)
    keep = LabelMap.from_mapping(["car", "cup"], {"cup": "cup/glass/bottle"}, AG, unmapped="keep")
    assert keep(0) == ("car", -1)


@pytest.fixture(scope="module")
def store():
    # vision_msgs 4.x as the ROS node registers them: rosbags' stock typestores lack vision_msgs
    from vsgg_ros.ros.msgs import ros_typestore

    assert "vision_msgs/msg/Detection2DArray" not in get_typestore(Stores.ROS2_HUMBLE).fielddefs
    return ros_typestore()


def _vision_detection(store, cx: float, cy: float, w: float, h: float, hypotheses: list[tuple[str, float]]):
    t = store.types
    header = t["std_msgs/msg/Header"](stamp=t["builtin_interfaces/msg/Time"](sec=1, nanosec=0), frame_id="cam")
    pose = t["geometry_msgs/msg/PoseWithCovariance"](
        pose=t["geometry_msgs/msg/Pose"](
            position=t["geometry_msgs/msg/Point"](x=0.0, y=0.0, z=0.0),
            orientation=t["geometry_msgs/msg/Quaternion"](x=0.0, y=0.0, z=0.0, w=1.0),
        ),
        covariance=np.zeros(36),
    )
    results = [
        t["vision_msgs/msg/ObjectHypothesisWithPose"](
            hypothesis=t["vision_msgs/msg/ObjectHypothesis"](class_id=c, score=s), pose=pose
        )
        for c, s in hypotheses
    ]
    centre = t["vision_msgs/msg/Pose2D"](position=t["vision_msgs/msg/Point2D"](x=cx, y=cy), theta=0.0)
    bbox = t["vision_msgs/msg/BoundingBox2D"](center=centre, size_x=w, size_y=h)
    return t["vision_msgs/msg/Detection2D"](header=header, results=results, bbox=bbox, id="")


def test_vision_msgs_detection2darray_from_typestore(store) -> None:
    t = store.types
    header = t["std_msgs/msg/Header"](stamp=t["builtin_interfaces/msg/Time"](sec=1, nanosec=0), frame_id="cam")
    msg = t["vision_msgs/msg/Detection2DArray"](
        header=header,
        detections=[
            _vision_detection(store, 100.0, 50.0, 20.0, 10.0, [("bottle", 0.3), ("cup", 0.6)]),
            _vision_detection(store, 10.0, 10.0, 4.0, 4.0, [("41", 0.9)]),  # numeric id: COCO 41 is "cup"
            _vision_detection(store, 200.0, 200.0, 50.0, 50.0, [("car", 0.99)]),  # dropped by the map
            _vision_detection(store, 300.0, 100.0, 40.0, 90.0, [("person", 0.05)]),  # under min_score
        ],
    )
    # round trip through CDR, as a message from a bag or the wire would arrive
    name = "vision_msgs/msg/Detection2DArray"
    msg = store.deserialize_cdr(store.serialize_cdr(msg, name), name)
    label_map = LabelMap.from_file(packaged("coco80_to_ag.json"), COCO80)
    got = detections_from_vision_msgs(msg, label_map, COCO80, min_score=0.1)
    cup = AG.object_id("cup/glass/bottle")
    assert [(d.label, d.class_id, d.box, d.score) for d in got] == [
        ("cup/glass/bottle", cup, (90.0, 45.0, 110.0, 55.0), 0.6),
        ("cup/glass/bottle", cup, (8.0, 8.0, 12.0, 12.0), 0.9),
    ]


def test_vision_msgs_3x_layout_duck_typed() -> None:
    # vision_msgs 3.x (Foxy): geometry_msgs/Pose2D centre (x, y, theta) and id/score on the hypothesis
    det = SimpleNamespace(
        results=[SimpleNamespace(id="person", score=0.8)],
        bbox=SimpleNamespace(center=SimpleNamespace(x=50.0, y=60.0, theta=0.0), size_x=10.0, size_y=20.0),
    )
    (got,) = detections_from_vision_msgs(SimpleNamespace(detections=[det]))
    assert (got.label, got.class_id, got.box) == ("person", -1, (45.0, 50.0, 55.0, 70.0))
    with pytest.raises(ValueError, match="class id 99 outside"):
        det.results[0].id = "99"
        detections_from_vision_msgs(SimpleNamespace(detections=[det]), class_names=COCO80)


def test_average_precision_hand_case() -> None:
    # 2 GT; detections by score: TP, FP, TP -> recall .5 .5 1, precision 1 .5 2/3, envelope 1 2/3 2/3.
    # Recall points 0..0.5 (51 of them) read 1, points 0.51..1 (50) read 2/3: AP = (51 + 50 * 2/3) / 101.
    ap = average_precision(np.array([True, False, True]), np.array([0.9, 0.8, 0.7]), 2)
    assert ap == pytest.approx((51 + 100 / 3) / 101)
    assert np.isnan(average_precision(np.zeros(0, bool), np.zeros(0), 0))
    assert average_precision(np.zeros(0, bool), np.zeros(0), 3) == 0.0  # never detected


def test_per_class_ap_matches_pycocotools() -> None:
    rng = np.random.default_rng(5)
    labels = ["person", "cup", "chair"]
    truth, dets = [], []
    for image in range(12):
        for _ in range(int(rng.integers(1, 5))):
            x, y = rng.uniform(0, 200, 2)
            w, h = rng.uniform(10, 80, 2)
            label = labels[int(rng.integers(0, 3))]
            truth.append(ScoredBox(image, label, (x, y, x + w, y + h)))
            if rng.random() < 0.8:  # a jittered detection, sometimes good enough, sometimes not
                j = rng.normal(0, 8, 4)
                dets.append(ScoredBox(image, label, (x + j[0], y + j[1], x + w + j[2], y + h + j[3]), rng.random()))
        for _ in range(int(rng.integers(0, 3))):  # false positives
            x, y = rng.uniform(0, 200, 2)
            dets.append(ScoredBox(image, labels[int(rng.integers(0, 3))], (x, y, x + 30, y + 30), rng.random()))
    ours = per_class_ap(dets, truth, 0.5)

    cats = [{"id": i + 1, "name": n} for i, n in enumerate(labels)]
    cat_id = {n: i + 1 for i, n in enumerate(labels)}

    def xywh(b):
        return [b[0], b[1], b[2] - b[0], b[3] - b[1]]

    gt = COCO()
    gt.dataset = {
        "images": [{"id": i, "width": 300, "height": 300} for i in range(12)],
        "categories": cats,
        "annotations": [
            {
                "id": k + 1,
                "image_id": g.image,
                "category_id": cat_id[g.label],
                "bbox": xywh(g.box),
                "area": xywh(g.box)[2] * xywh(g.box)[3],
                "iscrowd": 0,
            }
            for k, g in enumerate(truth)
        ],
    }
    gt.createIndex()
    dt = gt.loadRes(
        [{"image_id": d.image, "category_id": cat_id[d.label], "bbox": xywh(d.box), "score": d.score} for d in dets]
    )
    ev = COCOeval(gt, dt, "bbox")
    ev.params.iouThrs = np.array([0.5])
    ev.evaluate()
    ev.accumulate()
    for k, name in enumerate(labels):
        precision = ev.eval["precision"][0, :, k, 0, 2]  # IoU 0.5, all recalls, class k, area all, 100 dets
        assert ours[name] == pytest.approx(float(precision.mean()), abs=1e-9), name


def test_end2end_detector_can_declare_nms(tmp_path: Path) -> None:
    table = AG.object_id("table")
    rows = np.array([[[10, 20, 60, 80, 0.9, table], [12, 20, 62, 80, 0.8, table]]], np.float32)  # IoU 48/52
    section = {"format": "yolo-end2end", "resize": "stretch", "classes": list(AG.objects), "label_map": "identity"}
    frame = Frame(index=0, stamp_ns=0, image=np.zeros((640, 640, 3), np.uint8))
    plain = constant_detector(tmp_path / "plain", rows, section)
    assert len(OnnxDetector(plain, score_threshold=0.5).detect(frame)) == 2
    folder = constant_detector(tmp_path / "nms", rows, {**section, "nms": True, "iou_threshold": 0.5})
    (kept,) = OnnxDetector(folder, score_threshold=0.5).detect(frame)
    assert (kept.box, round(kept.score, 6)) == ((10.0, 20.0, 60.0, 80.0), 0.9)
    bad = constant_detector(tmp_path / "bad", rows, {**section, "nms": "yes"})
    with pytest.raises(ValueError, match="'nms' must be true or false"):
        OnnxDetector(bad)
