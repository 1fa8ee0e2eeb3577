"""The Action Genome vocabulary that SynthRoom labels are written in."""

from __future__ import annotations

from vsgg_ros.graph import Vocabulary


def ag_vocabulary() -> Vocabulary:
    """The packaged AG vocabulary (36 objects, 26 predicates in attention/spatial/contacting)."""
    from vsgg_ros.vocab import load_vocabulary

    return load_vocabulary("ag")
