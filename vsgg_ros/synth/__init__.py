"""SynthRoom: deterministic indoor videos with exact per-frame scene graphs (docs/synthroom.md).

Entry points: :func:`iter_video` streams ``(Frame, SceneGraph)`` for one :class:`VideoSpec`;
:func:`iter_steps` adds label maps and per-entity truth; :func:`write_world` writes a whole world in
the Action Genome, PVSG and VidVRD layouts (``vsgg synth`` on the command line).
"""

from vsgg_ros.synth.spec import ANNOTATIONS, DifficultyParams, VideoSpec, difficulty_params, world_specs
from vsgg_ros.synth.video import SynthStep, iter_steps, iter_video
from vsgg_ros.synth.writer import FORMATS, write_world

__all__ = [
    "ANNOTATIONS",
    "FORMATS",
    "DifficultyParams",
    "SynthStep",
    "VideoSpec",
    "difficulty_params",
    "iter_steps",
    "iter_video",
    "world_specs",
    "write_world",
]
