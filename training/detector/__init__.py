"""A tiny single-stage (CenterNet-style) detector trained on SynthRoom and exported to ONNX.

It gives the SGDET pipeline real, imperfect detections on synthetic video without any downloaded
weights. The export emits the NMS-free ``[B, K, 6]`` layout that ``vsgg_ros.detection`` already decodes
for Ultralytics end-to-end models, so the runtime has one code path for both.
"""
