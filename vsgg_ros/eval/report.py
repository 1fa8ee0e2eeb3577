"""Presenting an evaluation report: a plain-text table, a JSON file, and plots (matplotlib, Agg backend).

The report itself is the dict :func:`vsgg_ros.eval.evaluate.evaluate_graphs` returns; these helpers
only format it, so the table, the JSON and the plots always show the same numbers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def _rows(prefix: str, value: Any, rows: list[tuple[str, dict[str, str]]]) -> None:
    """Leaf mappings of numbers become one row with a column per key (K, threshold, ...); other leaves
    a row with a single unnamed column. Ratios are shown in percent."""
    if isinstance(value, Mapping):
        if value and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value.values()):
            rows.append((prefix, {str(k): _cell(v) for k, v in value.items()}))
            return
        for key, sub in value.items():
            _rows(f"{prefix} {key}".strip(), sub, rows)
    else:
        rows.append((prefix, {"": _cell(value)}))


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:.2f}" if isinstance(value, float) else str(value)


def _label(column: str) -> str:
    return f"@{column}" if column.replace(".", "").isdigit() else column


def format_table(report: Mapping[str, Any]) -> str:
    """Metrics as a table (every metric is a ratio, shown in percent; columns are K or thresholds), then
    counts, latency and warnings."""
    rows: list[tuple[str, dict[str, str]]] = []
    _rows("", report.get("metrics", {}), rows)
    opts = report.get("options", {})
    head = f"protocol {report.get('protocol')}"
    if report.get("protocol") == "ag":
        head += f"  mode {opts.get('mode')}  constraint {opts.get('constraint')}"
    head += f"  IoU {opts.get('iou_convention')} >= {opts.get('iou_threshold')}  align {opts.get('align')}"
    lines = [head]
    width = max((len(name) for name, _ in rows), default=10)
    columns: list[str] | None = None
    for name, cells in rows:
        cols = list(cells)
        widths = [max(9, len(_label(c)) + 2) for c in cols]
        if cols != columns:
            columns = cols
            lines.append("")
            if cols != [""]:
                lines.append(" " * width + "".join(f"{_label(c):>{w}}" for c, w in zip(cols, widths, strict=True)))
        lines.append(f"{name:<{width}}" + "".join(f"{cells[c]:>{w}}" for c, w in zip(cols, widths, strict=True)))
    counts: list[tuple[str, dict[str, str]]] = []
    _rows("", {"counts": report.get("counts", {}), "alignment": report.get("alignment", {})}, counts)
    lines.append("")
    for name, cells in counts:
        lines.append(f"{name}: " + ", ".join(f"{k} {v}" if k else v for k, v in cells.items()))
    for stage, stats in report.get("latency_ms", {}).items():
        lines.append(f"latency {stage}: mean {stats['mean']:.1f} ms, p95 {stats['p95']:.1f} ms (n={int(stats['n'])})")
    for warning in report.get("warnings", []):
        lines.append(f"warning: {warning}")
    return "\n".join(lines)


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    raise TypeError(f"cannot write {type(obj).__name__} into the JSON report")


def write_json(report: Mapping[str, Any], path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(report, indent=2, sort_keys=False, default=_json_default, allow_nan=False) + "\n")
    return p


def _plot_k(recall: Mapping[str, list[float]]) -> str | None:
    if not recall:
        return None
    return "50" if "50" in recall else max(recall, key=lambda k: float(k))


def write_plots(
    report: Mapping[str, Any], folder: str | Path, latency_samples_ms: Sequence[float] | None = None
) -> list[Path]:
    """Per-predicate recall bars (predicates sorted by GT frequency, when the protocol has them) and, given
    latency samples, a histogram of the total latency. Returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    per = report.get("per_predicate")
    k = _plot_k(per.get("recall", {})) if per else None
    if per and k is not None and per.get("names"):
        order = sorted(range(len(per["names"])), key=lambda i: -per["gt_counts"][i])
        names = [per["names"][i] for i in order]
        values = [100 * per["recall"][k][i] for i in order]
        counts = [per["gt_counts"][i] for i in order]
        fig, ax = plt.subplots(figsize=(max(6.0, 0.35 * len(names) + 2), 4.5))
        ax.bar(range(len(names)), values, color="#4c72b0")
        ax.set_xticks(
            range(len(names)),
            [f"{n} ({c})" for n, c in zip(names, counts, strict=True)],
            rotation=75,
            ha="right",
            fontsize=7,
        )
        ax.set_ylabel(f"recall@{k} (%)")
        ax.set_ylim(0, 100)
        ax.set_title(f"{report.get('protocol')}: per-predicate recall@{k} ({per.get('variant', '')}), by GT frequency")
        fig.tight_layout()
        path = out / "per_predicate_recall.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)
    latency = list(latency_samples_ms or [])
    if latency:
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.hist(latency, bins=max(10, min(60, int(math.sqrt(len(latency))))), color="#55a868")
        ax.set_xlabel("total latency (ms)")
        ax.set_ylabel("frames")
        ax.set_title("latency: publish time - image stamp")
        fig.tight_layout()
        path = out / "latency_hist.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)
    return written
