"""The chat request for one frame, laid out so vLLM's prefix cache reuses the static part.

Order (and why): the system message holds every static instruction (schema, vocabulary, rules), so it
is an identical token prefix for every frame; then the user turn carries the image, then the image
size and the previous frame's graph, which change every frame. Training data uses the same layout
(``training/vlm/data.py``), since a train/serve mismatch costs more than a cache miss.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import cv2
import numpy as np

from vsgg_ros.codec.toon_model import AG_GROUP_LIMITS
from vsgg_ros.vlm.schema import VlmSchema

PREVIOUS_MODES = ("generated", "ground_truth", "none")
PREVIOUS_HEADER = "Previous frame scene graph (TOON):"


@dataclass(frozen=True)
class VlmRequest:
    """Everything a backend needs for one frame; ``image`` is the resized RGB frame the boxes refer to."""

    request_id: str
    system: str
    image: np.ndarray
    user_text: str
    grammar: str | None = None

    @property
    def image_size(self) -> tuple[int, int]:
        return int(self.image.shape[1]), int(self.image.shape[0])

    def openai_messages(self, image_format: str = "jpeg") -> list[dict[str, object]]:
        """OpenAI chat messages: system text, then the image as a base64 data URL, then the text."""
        url = image_data_url(self.image, image_format)
        return [
            {"role": "system", "content": self.system},
            {
                "role": "user",
                "content": [{"type": "image_url", "image_url": {"url": url}}, {"type": "text", "text": self.user_text}],
            },
        ]


def system_prompt(schema: VlmSchema) -> str:
    """Static instructions for ``schema``: format, allowed labels, rules, answer tags."""
    lines = [
        "You generate the scene graph of the image as TOON text.",
        "Coordinates are integer pixels x1,y1,x2,y2 of the image as given, with x1<x2 and y1<y2.",
        "Object ids run 1..N in row order; the numbers in [N] and [M] equal the row counts.",
    ]
    if schema.toon.relation_table == "rel":
        lines += [
            "Format:",
            "obj[N]{id,name,x1,y1,x2,y2}:",
            "  1,person,24,71,259,268",
            "rel[M]{subj,pred,obj}:",
            "  1,holding,2",
            "Each relation is directed subject -> object; no self-relations, no duplicates.",
        ]
    else:
        limits = ", ".join(f"{g} at most {n}" for g, n in AG_GROUP_LIMITS.items())
        lines += [
            "Format (one row per person-object pair; labels as bracketed lists in quotes):",
            "obj[N]{id,name,x1,y1,x2,y2}:",
            "  1,person,24,71,259,268",
            "rel_pairs[M]{subj,attention,spatial,contacting,obj}:",
            '  1,"[looking_at]","[in_front_of]","[holding]",2',
            f"The subject is always the person. Labels per pair: {limits}.",
        ]
    if schema.closed:
        lines.append("Object names: " + ", ".join(schema.objects) + ".")
        if schema.group_predicates:
            lines += [f"{group} labels: " + ", ".join(labels) + "." for group, labels in schema.group_predicates]
        else:
            lines.append("Predicates: " + ", ".join(schema.predicates) + ".")
    else:
        lines.append("Names and predicates are lower-case words joined by hyphens (in-front-of).")
    lines += [
        "Only include objects visible in the current image.",
        "Put the graph, and nothing else, inside <answer> and </answer>.",
    ]
    return "\n".join(lines)


def user_text(image_size: tuple[int, int], previous_toon: str | None) -> str:
    """The per-frame text after the image: its size and, when given, the previous frame's graph."""
    width, height = image_size
    text = f"Image size: {width}x{height}."
    if previous_toon:
        text += (
            "\nYou are also given the scene graph of the previous frame. Reuse its objects and ids where they"
            " are still visible, update boxes and relations, drop what left the view.\n"
            f"{PREVIOUS_HEADER}\n\n{previous_toon}"
        )
    return text + "\nScene graph:"


def fit_image(image: np.ndarray, max_pixels: int, multiple: int = 28) -> np.ndarray:
    """Resize so width*height <= ``max_pixels`` with sides a multiple of ``multiple`` (the VLM's patch
    grid: 28 for Qwen2/2.5-VL, 32 for Qwen3-VL/3.5), keeping the aspect ratio as closely as possible."""
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"expected an HxWx3 image, got shape {image.shape}")
    if max_pixels < multiple * multiple:
        raise ValueError(f"max_pixels {max_pixels} is below one {multiple}x{multiple} patch")
    height, width = image.shape[:2]
    scale = min(1.0, (max_pixels / (width * height)) ** 0.5)
    new_w = max(multiple, int(width * scale) // multiple * multiple)
    new_h = max(multiple, int(height * scale) // multiple * multiple)
    if (new_w, new_h) == (width, height):
        return image
    return cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)


def image_data_url(image: np.ndarray, image_format: str = "jpeg", quality: int = 90) -> str:
    """``data:image/<fmt>;base64,...`` of an RGB image (what vLLM's OpenAI server accepts inline)."""
    if image_format not in ("jpeg", "png"):
        raise ValueError(f"image_format must be jpeg or png, got {image_format!r}")
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if image_format == "jpeg" else []
    ok, data = cv2.imencode(".jpg" if image_format == "jpeg" else ".png", image[:, :, ::-1], params)
    if not ok:
        raise ValueError(f"could not encode a {image.shape} image as {image_format}")
    return f"data:image/{image_format};base64," + base64.b64encode(data.tobytes()).decode("ascii")
