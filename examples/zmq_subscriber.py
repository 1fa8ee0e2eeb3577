#!/usr/bin/env python3
"""Subscribe to vsgg scene graphs over ZeroMQ — a client that needs only pyzmq, msgpack and numpy.

Written from docs/wire-format.md alone (it does not import vsgg_ros), to show what any app does:

    python examples/zmq_subscriber.py --endpoint tcp://127.0.0.1:5555 [--source camera] [--count 10]

Prints one line per graph; with --json, one decoded graph per line (masks expanded to their box and
pixel area, to show they decode).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import msgpack
import numpy as np
import zmq


def rle_runs(counts: str | bytes | list[int]) -> list[int]:
    """COCO RLE counts (compressed string or plain runs) -> run lengths, zeros first."""
    if isinstance(counts, list):
        return counts
    s = counts.decode("ascii") if isinstance(counts, bytes) else counts
    runs: list[int] = []
    p = 0
    while p < len(s):
        x, k, more = 0, 0, True
        while more:
            c = ord(s[p]) - 48
            p += 1
            x |= (c & 0x1F) << (5 * k)
            k += 1
            more = bool(c & 0x20)
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(runs) > 2:
            x += runs[-2]
        runs.append(x)
    return runs


def decode_mask(mask: dict) -> np.ndarray:
    """{size: [h, w], counts} -> HxW bool array (runs are column-major)."""
    height, width = mask["size"]
    values = np.zeros(len(rle_runs(mask["counts"])), dtype=bool)
    values[1::2] = True
    flat = np.repeat(values, rle_runs(mask["counts"]))
    if flat.size != height * width:
        raise ValueError(f"mask runs cover {flat.size} pixels, expected {height * width}")
    return flat.reshape((width, height)).T


def describe(graph: dict) -> dict:
    names = {o["id"]: o["label"] for o in graph.get("objects", [])}
    stamp = graph["stamp"]["sec"] + graph["stamp"]["nanosec"] / 1e9
    objects = []
    for o in graph.get("objects", []):
        entry = {"id": o["id"], "label": o["label"], "box": o["box"]}
        if o.get("mask") is not None:
            pixels = decode_mask(o["mask"])
            ys, xs = np.nonzero(pixels)
            entry["mask_area"] = int(pixels.sum())
            if xs.size:
                entry["mask_box"] = [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]
        objects.append(entry)
    triplets = [
        [names.get(r["subject_id"], "?"), r["predicate"], names.get(r["object_id"], "?"), r.get("age_frames", 0)]
        for r in graph.get("relations", [])
    ]
    return {
        "source_id": graph.get("source_id", "camera"),
        "frame_index": graph["frame_index"],
        "sequence_number": graph.get("sequence_number", 0),
        "stamp": stamp,
        "latency_ms": round((time.time() - stamp) * 1e3, 2),
        "objects": objects,
        "relations": triplets,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoint", default="tcp://127.0.0.1:5555")
    parser.add_argument("--source", default="", help="only this source_id (default: every source)")
    parser.add_argument("--count", type=int, default=0, help="exit after this many graphs (0: run forever)")
    parser.add_argument("--timeout", type=float, default=0.0, help="give up after this many seconds (0: never)")
    parser.add_argument("--json", action="store_true", help="print each decoded graph as one JSON line")
    args = parser.parse_args()

    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, 100)
    sub.setsockopt(zmq.LINGER, 0)
    sub.connect(args.endpoint)
    sub.setsockopt(zmq.SUBSCRIBE, b"vsgg/graph/" + (f"{args.source}/".encode() if args.source else b""))
    deadline = time.monotonic() + args.timeout if args.timeout else None
    received = 0
    while not args.count or received < args.count:
        wait_ms = 200 if deadline is None else max(0, int((deadline - time.monotonic()) * 1e3))
        if deadline is not None and wait_ms == 0:
            print(f"timeout after {received} graphs", file=sys.stderr)
            return 1
        if not sub.poll(min(wait_ms, 200)):
            continue
        frames = sub.recv_multipart()
        payload = frames[1] if len(frames) == 2 else frames[0].split(b"\0", 1)[1]
        graph = msgpack.unpackb(payload)
        if graph.get("schema_version") != 1:
            print(f"skipping schema_version {graph.get('schema_version')!r}", file=sys.stderr)
            continue
        info = describe(graph)
        received += 1
        if args.json:
            print(json.dumps(info), flush=True)
        else:
            rels = ", ".join(f"{s} -{p}-> {o}" for s, p, o, _ in info["relations"][:4])
            print(f"#{info['frame_index']} {len(info['objects'])} objects, {len(info['relations'])} relations  {rels}")
    sub.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
