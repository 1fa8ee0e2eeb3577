"""``python -m vsgg_training train|export --head detector``: the tiny SynthRoom detector's two commands.

``train`` takes the flags of ``vsgg_training.detector.train`` (``--out``, ``--steps``, ``--init`` …);
``export --run DIR --out DIR`` builds the head folder (ONNX, io_spec, parity, held-out AP, card.md) from
``DIR/detector.pt`` and passes any further flags (``--baseline``, ``--train-command``) to the build.
"""

from __future__ import annotations

import sys

USAGE = "usage: python -m vsgg_training {train,export} --head detector ..."


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("train", "export"):
        print(USAGE, file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "train":
        from vsgg_training.detector.train import main as train_main

        train_main(rest)
        return 0
    from vsgg_training.detector.build import main as build_main

    if not any(a == "--run" or a.startswith("--run=") for a in rest):
        print(
            "export --head detector: --run DIR (the training --out, holding detector.pt) is required", file=sys.stderr
        )
        return 2
    build_main(_run_to_checkpoint(rest))
    return 0


def _run_to_checkpoint(argv: list[str]) -> list[str]:
    """``--run DIR`` (the house style of every head's export) becomes the build's ``--checkpoint DIR/detector.pt``."""
    out: list[str] = []
    it = iter(argv)
    for arg in it:
        if arg == "--run":
            out += ["--checkpoint", f"{next(it, '')}/detector.pt"]
        elif arg.startswith("--run="):
            out += ["--checkpoint", f"{arg.partition('=')[2]}/detector.pt"]
        else:
            out.append(arg)
    return out


if __name__ == "__main__":
    sys.exit(main())
