"""``python -m vsgg_training build_all``: every head from data to deployable artifacts, resumable.

A preset is a declarative list of :class:`Step` values (prepare, train, evaluate, export, TensorRT);
:func:`run_preset` executes them in order, skips a step whose key (config + code + upstream artifacts)
is unchanged since it last succeeded, and isolates failures per head. docs/build_all.md has the recipes.
"""

from vsgg_training.build_all.runner import Outcome, run_preset
from vsgg_training.build_all.steps import Preset, PresetError, Requirement, Step, StepContext

__all__ = ["Outcome", "Preset", "PresetError", "Requirement", "Step", "StepContext", "run_preset"]
