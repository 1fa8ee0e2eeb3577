"""vsgg_training: offline training, ONNX export and engine builds for every vsgg_ros head.

Installed under the import name ``vsgg_training`` (the folder is ``training/`` in the repository);
needs the ``training`` extra (torch, onnx, …), which the runtime never imports.
"""
