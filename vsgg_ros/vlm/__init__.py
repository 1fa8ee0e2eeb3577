"""SceneGraphVLM backend: a small VLM writes each frame's scene graph as TOON (docs/vlm.md).

Layers, each its own module: ``schema`` (what the model may say), ``prompts`` (the chat request, laid
out for prefix caching), ``grammar`` (the regex that constrains decoding), ``backends`` (vLLM server,
in-process vLLM, transformers; all return raw text), ``assembly`` (text -> tracked Prediction) and
``predictor`` (the engine's Predictor). Heavy libraries are imported lazily inside the backends.
"""
