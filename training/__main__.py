"""``python -m vsgg_training {train,export,…} --head NAME …``, ``build_all …``, ``manifest …``.

Every head owns its command line in ``vsgg_training.<head>.cli.main`` (``train``/``export`` with the same flag
style, plus head-specific commands such as PALS's ``bound``); this entry point only picks the module and
passes the arguments on, minus ``--head``. ``build_all``
(every head, every step, resumable; training/build_all/) and ``manifest`` (models/manifest.yaml) have their own
parsers.
"""

from __future__ import annotations

import importlib
import sys

HEADS = ("pals", "vost", "sage", "traser", "vlm", "detector")
COMMANDS = {"build_all": "vsgg_training.build_all.cli", "manifest": "vsgg_training.manifest"}
USAGE = (
    "usage: python -m vsgg_training {train,export,...} --head {" + ",".join(HEADS) + "} [head flags]\n"
    "       python -m vsgg_training build_all --preset NAME --out DIR [...]\n"
    "       python -m vsgg_training manifest --models DIR [--check]\n"
    "(python -m vsgg_training train --head NAME --help lists a head's flags)"
)


def split_head(argv: list[str]) -> tuple[str | None, list[str]]:
    """(the ``--head`` value or None, argv without it)."""
    for i, arg in enumerate(argv):
        if arg.startswith("--head="):
            return arg.partition("=")[2], argv[:i] + argv[i + 1 :]
        if arg == "--head":
            return (argv[i + 1] if i + 1 < len(argv) else ""), argv[:i] + argv[i + 2 :]
    return None, argv


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        return int(importlib.import_module(COMMANDS[argv[0]]).main(argv[1:]) or 0)
    head, rest = split_head(argv)
    if not argv or argv[0].startswith("-") or head is None:
        print(USAGE, file=sys.stderr)
        return 2
    if head not in HEADS:
        print(f"--head {head!r}: expected one of {', '.join(HEADS)}", file=sys.stderr)
        return 2
    return int(importlib.import_module(f"vsgg_training.{head}.cli").main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
