"""Detection front-end: any exported ONNX detector in a declared output layout -> our Detection list.

``OnnxDetector`` (``detector.py``) runs a ``models/<detector>/`` folder through :class:`HeadRuntime`;
``formats.py`` decodes the supported layouts, ``labelmap.py`` renames classes into the head's
vocabulary, ``vision_msgs.py`` converts ``vision_msgs/Detection2DArray`` messages from another node.
"""
