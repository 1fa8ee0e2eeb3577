"""The backend interface: a chat request in, the model's raw text out (parsing is not a backend's job)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from vsgg_ros.vlm.prompts import VlmRequest

ANSWER_STOP = "</answer>"


class BackendError(RuntimeError):
    """The backend could not produce text for a request (server down, timeout, bad reply)."""


class RequestCancelled(BackendError):
    """A newer request replaced this one before it finished (newest frame wins)."""


@dataclass(frozen=True)
class BackendReply:
    """Raw model output; ``finish_reason`` is ``stop`` (grammar or stop string) or ``length`` (cut)."""

    text: str
    finish_reason: str
    latency_s: float
    completion_tokens: int = -1


@runtime_checkable
class VlmBackend(Protocol):
    model_id: str

    def generate(self, request: VlmRequest) -> BackendReply:
        """Text for ``request``; raises BackendError (RequestCancelled when superseded)."""
        ...

    def close(self) -> None: ...


def with_stop(text: str, finish_reason: str) -> str:
    """The text with ``</answer>`` restored when generation ended on that stop string."""
    if finish_reason == "stop" and "<answer>" in text and ANSWER_STOP not in text:
        return text + ANSWER_STOP
    return text
