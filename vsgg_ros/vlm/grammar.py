"""The EBNF grammar that constrains decoding to one TOON answer (xgrammar / vLLM ``structured_outputs``).

Why a grammar rather than a regex: rules can be referenced, so the header counts ``obj[N]`` /
``rel[M]`` are tied to the number of rows, object ids run 1..N in order, and each relation joins two
different ids within 1..N, at a size cubic in ``max_objects`` (a few thousand alternatives for 30).
A closed schema restricts names and predicates to the vocabulary (TOON spelling); coordinates stay in
the image. Not enforced (the decoder reports them): duplicate relations, AG subjects being the
person, and x1<x2 / y1<y2 unless ``ordered_boxes`` (W*H alternatives: affordable for small images
only). The same text is accepted by xgrammar's ``compile_grammar`` (transformers backend) and by vLLM
with ``--structured-outputs-config.backend xgrammar``.
"""

from __future__ import annotations

import json

from vsgg_ros.codec.toon_model import OBJ_FIELDS
from vsgg_ros.vlm.schema import VlmSchema, group_limit

OPEN_LABEL = '[a-z0-9]+ ("-" [a-z0-9]+)*'


def _lit(text: str) -> str:
    """An EBNF string literal (JSON escaping is what xgrammar's EBNF accepts)."""
    return json.dumps(text)


def _alternatives(labels: tuple[str, ...]) -> str:
    return " | ".join(_lit(label) for label in labels)


def _coordinate(max_side: int) -> str:
    """Integers 0..``max_side`` without leading zeros, as EBNF alternatives (coordinates in range by
    construction, so the decoder never has to clamp them)."""
    limit = str(max(int(max_side), 0))
    alternatives = [f"[0-{min(int(limit), 9)}]"]
    for digits in range(2, len(limit)):
        alternatives.append("[1-9]" + " [0-9]" * (digits - 1))
    if len(limit) >= 2:
        for i, ch in enumerate(limit):
            low = 1 if i == 0 else 0
            if int(ch) > low:
                prefix = f"{_lit(limit[:i])} " if i else ""
                alternatives.append(f"{prefix}[{low}-{int(ch) - 1}]" + " [0-9]" * (len(limit) - i - 1))
        alternatives.append(_lit(limit))
    return " | ".join(f"({a})" for a in alternatives)


ORDERED_BOX_LIMIT = 128 * 128


def _box_rules(image_size: tuple[int, int], ordered: bool) -> list[str]:
    """``box`` within the image; ``ordered`` also forces x1<x2 and y1<y2 by spelling out every (x1, y1)
    prefix, which is W*H alternatives: only for small prompt images (tiny-model tests)."""
    width, height = image_size
    if not ordered:
        return [f"xc ::= {_coordinate(width)}", f"yc ::= {_coordinate(height)}", 'box ::= xc "," yc "," xc "," yc']
    if width * height > ORDERED_BOX_LIMIT:
        raise ValueError(f"ordered boxes need a prompt image of at most {ORDERED_BOX_LIMIT} pixels, got {image_size}")
    rules = ["box ::= " + " | ".join(f"({_lit(f'{a},')} after{a})" for a in range(width))]
    for a in range(width):
        rules.append(f"after{a} ::= " + " | ".join(f'({_lit(f"{b},")} xgt{a} "," ygt{b})' for b in range(height)))
        rules.append(f"xgt{a} ::= " + _alternatives(tuple(str(v) for v in range(a + 1, width + 1))))
    rules += [f"ygt{b} ::= " + _alternatives(tuple(str(v) for v in range(b + 1, height + 1))) for b in range(height)]
    return rules


def toon_grammar(
    schema: VlmSchema,
    max_objects: int,
    max_relations: int,
    image_size: tuple[int, int] = (640, 480),
    ordered_boxes: bool = False,
) -> str:
    """EBNF for ``<answer>\\n<obj table>\\n<relation table>\\n</answer>`` under ``schema``.

    ``max_objects``/``max_relations`` bound the tables (and the grammar size); coordinates lie within
    the prompt image ``(width, height)``; ``ordered_boxes`` also forces x1<x2 and y1<y2 (small images).
    """
    if max_objects < 1 or max_relations < 0:
        raise ValueError(f"need max_objects >= 1 and max_relations >= 0, got {max_objects}, {max_relations}")
    rel_key, rel_fields = schema.toon.relation_table, ",".join(schema.toon.relation_fields)
    obj_header = "{" + ",".join(OBJ_FIELDS) + "}:"
    rules = [
        'root ::= "<answer>\\n" graph "\\n</answer>"',
        f"name ::= {_alternatives(schema.objects) if schema.closed else OPEN_LABEL}",
        *_box_rules(image_size, ordered_boxes),
    ]
    rules.append("graph ::= " + " | ".join(f"graph{n}" for n in range(max_objects + 1)))
    rules.append(f"graph0 ::= {_lit(f'obj[0]{obj_header}' + chr(10) + f'{rel_key}[0]{{{rel_fields}}}:')}")
    for i in range(1, max_objects + 1):
        rules.append(f'row{i} ::= "\\n  {i}," name "," box')
    rules += _relation_rules(schema)
    for n in range(1, max_objects + 1):
        rows = " ".join(f"row{i}" for i in range(1, n + 1))
        counts = range(max_relations + 1) if n > 1 else range(1)  # one object cannot relate to another
        rels = " | ".join(f"rels{n}x{m}" for m in counts)
        rules.append(f'graph{n} ::= {_lit(f"obj[{n}]{obj_header}")} {rows} "\\n" ({rels})')
        for m in counts:
            body = " ".join([f"rel{n}"] * m)
            rules.append(f"rels{n}x{m} ::= {_lit(f'{rel_key}[{m}]{{{rel_fields}}}:')} {body}".rstrip())
        if n == 1:
            continue
        rules.append(f"rel{n} ::= " + " | ".join(f'("\\n  {i}," relbody "," not{n}x{i})' for i in range(1, n + 1)))
        for i in range(1, n + 1):
            others = tuple(str(k) for k in range(1, n + 1) if k != i)
            rules.append(f"not{n}x{i} ::= {_alternatives(others)}")
    return "\n".join(rules) + "\n"


def _relation_rules(schema: VlmSchema) -> list[str]:
    """``relbody``: the middle of a relation row (a predicate, or AG's three quoted label lists)."""
    if not schema.group_predicates:
        return [f"relbody ::= {_alternatives(schema.predicates) if schema.closed else OPEN_LABEL}"]
    rules, parts = [], []
    for group, labels in schema.group_predicates:
        limit = group_limit(group)
        rules.append(f"{group} ::= {_alternatives(labels)}")
        more = f' ("," {group}){{0,{limit - 1}}}' if limit > 1 else ""
        rules.append(f'{group}list ::= "\\"[" ({group}{more})? "]\\""')
        parts.append(f"{group}list")
    rules.append("relbody ::= " + ' "," '.join(parts))
    return rules
