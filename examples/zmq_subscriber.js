// Subscribe to vsgg scene graphs over ZeroMQ from Node 20 (zeromq@6, @msgpack/msgpack@3).
// Written from docs/wire-format.md alone, as any app would be:
//
//   npm ci --ignore-scripts && node zmq_subscriber.js --endpoint tcp://127.0.0.1:5555 [--source camera] [--count 10]
//
// Prints one JSON line per graph, with masks decoded (their pixel area and box) to show they decode.
import { Subscriber } from "zeromq";
import { decode } from "@msgpack/msgpack";

function parseArgs(argv) {
  const args = { endpoint: "tcp://127.0.0.1:5555", source: "", count: 0, timeout: 0 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "");
    if (!(key in args)) throw new Error(`unknown option ${argv[i]}`);
    args[key] = typeof args[key] === "number" ? Number(argv[i + 1]) : argv[i + 1];
  }
  return args;
}

// COCO RLE counts (compressed string or plain runs) -> run lengths, zeros first (wire-format §5).
export function rleRuns(counts) {
  if (Array.isArray(counts)) return counts.map(Number);
  const s = typeof counts === "string" ? counts : new TextDecoder().decode(counts);
  const runs = [];
  let p = 0;
  while (p < s.length) {
    let x = 0, k = 0, more = true;
    while (more) {
      const c = s.charCodeAt(p++) - 48;
      x |= (c & 0x1f) << (5 * k);
      k += 1;
      more = (c & 0x20) !== 0;
      if (!more && (c & 0x10)) x |= -1 << (5 * k);
    }
    if (runs.length > 2) x += runs[runs.length - 2];
    runs.push(x);
  }
  return runs;
}

// {size: [h, w], counts} -> {area, box: [x1, y1, x2, y2]} walking the column-major runs.
export function maskSummary(mask) {
  const [height, width] = mask.size.map(Number);
  const runs = rleRuns(mask.counts);
  let pos = 0, area = 0, x1 = Infinity, y1 = Infinity, x2 = -1, y2 = -1;
  runs.forEach((len, i) => {
    if (i % 2 === 1 && len > 0) {
      area += len;
      const first = pos, last = pos + len - 1;
      const c0 = Math.floor(first / height), c1 = Math.floor(last / height);
      x1 = Math.min(x1, c0); x2 = Math.max(x2, c1);
      y1 = Math.min(y1, c0 === c1 ? first % height : 0);
      y2 = Math.max(y2, c0 === c1 ? last % height : height - 1);
    }
    pos += len;
  });
  if (pos !== height * width) throw new Error(`mask runs cover ${pos} pixels, expected ${height * width}`);
  return { area, box: area ? [x1, y1, x2 + 1, y2 + 1] : null };
}

function describe(graph) {
  const names = new Map(graph.objects.map((o) => [Number(o.id), o.label]));
  const stamp = Number(graph.stamp.sec) + Number(graph.stamp.nanosec) / 1e9;
  return {
    source_id: graph.source_id,
    frame_index: Number(graph.frame_index),
    sequence_number: Number(graph.sequence_number),
    stamp,
    objects: graph.objects.map((o) => ({
      id: Number(o.id),
      label: o.label,
      box: o.box,
      ...(o.mask ? { mask: maskSummary(o.mask) } : {}),
    })),
    relations: graph.relations.map((r) => [
      names.get(Number(r.subject_id)) ?? "?", r.predicate, names.get(Number(r.object_id)) ?? "?", r.age_frames,
    ]),
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const sock = new Subscriber({ receiveHighWaterMark: 100, linger: 0 });
  sock.connect(args.endpoint);
  sock.subscribe(args.source ? `vsgg/graph/${args.source}/` : "vsgg/graph/");
  let timer = null;
  if (args.timeout > 0) {
    timer = setTimeout(() => {
      console.error("timeout");
      sock.close();
      process.exit(1);
    }, args.timeout * 1000);
  }
  let received = 0;
  for await (const frames of sock) {
    const payload = frames.length === 2 ? frames[1] : frames[0].subarray(frames[0].indexOf(0) + 1);
    const graph = decode(payload, { useBigInt64: true });
    if (graph.schema_version !== 1) continue;
    console.log(JSON.stringify(describe(graph)));
    received += 1;
    if (args.count && received >= args.count) break;
  }
  if (timer) clearTimeout(timer);
  sock.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
