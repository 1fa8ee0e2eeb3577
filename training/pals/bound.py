"""The best with-constraint Recall@K any relation model could reach on given ground truth.

With constraint each (person, object) pair yields one triplet per predicate group (attention on the
pair, its argmax spatial label on the reversed pair, its argmax contacting label), so a frame whose
GT has ``P`` annotated pairs and ``N`` relations can have at most ``min(K, 3 P)`` GT relations hit by
its top K: R@K <= min(K, 3 P) / N. Pairs with two spatial or two contacting labels are the reason it
can stay below 1 for large K. Averaged like the AG evaluator: over frames that have GT relations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from vsgg_ros.graph import SceneGraph

GROUPS_PER_PAIR = 3


def frame_bound(graph: SceneGraph, k: int) -> float | None:
    """Upper bound of with-constraint R@k for one frame; None when it has no GT relations."""
    if not graph.relations:
        return None
    pairs = {frozenset((r.subject_id, r.object_id)) for r in graph.relations}
    return min(k, GROUPS_PER_PAIR * len(pairs)) / len(graph.relations)


def recall_bound(graphs: Iterable[SceneGraph], ks: Sequence[int] = (10, 20, 50)) -> dict[str, float]:
    """Mean per-frame bound for each K, plus the mean GT relations and pairs per annotated frame."""
    bounds: dict[int, list[float]] = {k: [] for k in ks}
    relations: list[int] = []
    pairs: list[int] = []
    for graph in graphs:
        if not graph.relations:
            continue
        relations.append(len(graph.relations))
        pairs.append(len({frozenset((r.subject_id, r.object_id)) for r in graph.relations}))
        for k in ks:
            value = frame_bound(graph, k)
            assert value is not None
            bounds[k].append(value)
    if not relations:
        raise ValueError("no frame has ground-truth relations: the bound is undefined")
    out = {f"R@{k}": round(sum(v) / len(v), 4) for k, v in bounds.items()}
    out["relations_per_frame"] = round(sum(relations) / len(relations), 3)
    out["pairs_per_frame"] = round(sum(pairs) / len(pairs), 3)
    out["frames"] = float(len(relations))
    return out
