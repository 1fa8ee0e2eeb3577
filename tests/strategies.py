"""Hypothesis strategies for the graph data model, shared by codec, sink and pipeline tests.

Values cover the full ranges of the wire contract (uint64 ids up to 2**64-1, any finite float,
unicode text, empty graphs, real COCO RLE masks) so a round trip that passes here holds for
anything a producer may legally send. NaN is left out because it never compares equal.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from vsgg_ros.graph import Mask, ObjectNode, Relation, SceneGraph, TrackState

U64_MAX = 2**64 - 1

uint64s = st.integers(min_value=0, max_value=U64_MAX)
int32_ids = st.integers(min_value=-1, max_value=2**31 - 1)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
unit_floats = st.floats(min_value=0.0, max_value=1.0)
texts = st.text(max_size=12)
stamps_ns = st.integers(min_value=-(2**62), max_value=2**63 - 1)
boxes = st.tuples(finite_floats, finite_floats, finite_floats, finite_floats)
attribute_maps = st.dictionaries(texts, texts, max_size=3)
latency_maps = st.dictionaries(texts, st.floats(min_value=0.0, max_value=1e6), max_size=4)


@st.composite
def masks(draw: st.DrawFn, max_side: int = 12) -> Mask:
    """A real pycocotools RLE of a random binary image (empty and full masks included)."""
    height = draw(st.integers(min_value=1, max_value=max_side))
    width = draw(st.integers(min_value=1, max_value=max_side))
    bits = draw(st.lists(st.booleans(), min_size=height * width, max_size=height * width))
    return Mask.from_array(np.array(bits, dtype=bool).reshape(height, width))


@st.composite
def object_nodes(draw: st.DrawFn, ids: st.SearchStrategy[int] = uint64s) -> ObjectNode:
    return ObjectNode(
        id=draw(ids),
        label=draw(texts),
        box=draw(boxes),
        class_id=draw(int32_ids),
        score=draw(unit_floats),
        state=draw(st.sampled_from(TrackState)),
        mask=draw(st.none() | masks()),
        attributes=draw(attribute_maps),
    )


@st.composite
def relations(draw: st.DrawFn, ids: st.SearchStrategy[int] = uint64s) -> Relation:
    return Relation(
        subject_id=draw(ids),
        object_id=draw(ids),
        predicate=draw(texts),
        predicate_id=draw(int32_ids),
        group=draw(texts),
        score=draw(unit_floats),
        affinity=draw(unit_floats),
        age_frames=draw(st.integers(min_value=0, max_value=2**32 - 1)),
        age_sec=draw(st.floats(min_value=0.0, max_value=1e9)),
    )


@st.composite
def scene_graphs(draw: st.DrawFn, max_objects: int = 500, max_relations: int = 200) -> SceneGraph:
    """A graph whose relations mostly connect its own objects (empty graphs included)."""
    objects = draw(st.lists(object_nodes(), max_size=max_objects, unique_by=lambda o: o.id))
    ids = st.sampled_from([o.id for o in objects]) | uint64s if objects else uint64s
    return SceneGraph(
        stamp_ns=draw(stamps_ns),
        frame_index=draw(uint64s),
        frame_id=draw(texts),
        source_id=draw(texts),
        sequence=draw(uint64s),
        model_id=draw(texts),
        objects=objects,
        relations=draw(st.lists(relations(ids), max_size=max_relations)),
        latency_ms=draw(latency_maps),
    )
