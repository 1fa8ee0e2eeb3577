"""``vllm-server``: OpenAI-compatible chat completions to ``vllm serve`` on loopback (docs/vlm.md).

Plain ``http.client`` (no extra dependency) so that a request can be cancelled by shutting its socket:
vLLM aborts a request whose client disconnects. One request is in flight at a time; a new
``generate`` call cancels the one before it (newest frame wins) and the superseded caller gets
:class:`RequestCancelled`. Field names follow vLLM >= 0.12 (``structured_outputs``, which replaced
``guided_*``; ``chat_template_kwargs``; ``include_stop_str_in_output``).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from vsgg_ros.vlm.backends.base import ANSWER_STOP, BackendError, BackendReply, RequestCancelled, with_stop
from vsgg_ros.vlm.prompts import VlmRequest

DEFAULT_ENDPOINT = "http://127.0.0.1:8000"


def _host_port(endpoint: str) -> tuple[str, int, str]:
    parts = urlsplit(endpoint)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"VLM endpoint must be http://host:port, got {endpoint!r}")
    return parts.hostname, parts.port or 80, parts.path.rstrip("/")


@dataclass(frozen=True)
class HealthStatus:
    ok: bool
    detail: str
    models: tuple[str, ...] = ()


def health_check(endpoint: str = DEFAULT_ENDPOINT, model: str | None = None, timeout_s: float = 2.0) -> HealthStatus:
    """Whether ``vllm serve`` at ``endpoint`` is up (``/health``) and serves ``model`` (``/v1/models``)."""
    host, port, prefix = _host_port(endpoint)
    try:
        for path in ("/health", "/v1/models"):
            conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
            try:
                conn.request("GET", prefix + path)
                reply = conn.getresponse()
                body = reply.read()
            finally:
                conn.close()
            if reply.status != 200:
                return HealthStatus(False, f"GET {path} answered HTTP {reply.status}")
        models = tuple(str(m.get("id", "")) for m in json.loads(body).get("data", []))
    except (OSError, http.client.HTTPException, ValueError, AttributeError) as exc:
        return HealthStatus(False, f"{endpoint} unreachable or malformed: {exc}")
    if model is not None and model not in models:
        return HealthStatus(False, f"{endpoint} serves {list(models)}, not {model!r}", models)
    return HealthStatus(True, "ok", models)


class VllmServerBackend:
    """Chat completions against a local ``vllm serve`` process."""

    def __init__(
        self,
        endpoint: str = DEFAULT_ENDPOINT,
        model: str = "sgvlm",
        max_tokens: int = 768,
        timeout_s: float = 10.0,
        temperature: float = 0.0,
        image_format: str = "jpeg",
        structured: bool = True,
        disable_thinking: bool = True,
    ) -> None:
        self._host, self._port, self._prefix = _host_port(endpoint)
        if timeout_s <= 0 or max_tokens < 1:
            raise ValueError(f"need timeout_s > 0 and max_tokens >= 1, got {timeout_s}, {max_tokens}")
        self.endpoint = endpoint
        self.model = model
        self.model_id = f"vlm:{model}"
        self.max_tokens = max_tokens
        self.timeout_s = timeout_s
        self.temperature = temperature
        self.image_format = image_format
        self.structured = structured
        self.disable_thinking = disable_thinking
        self._lock = threading.Lock()
        self._active: tuple[int, http.client.HTTPConnection] | None = None
        self._ticket = 0
        self._cancelled: set[int] = set()

    def request_body(self, request: VlmRequest) -> dict[str, object]:
        """The JSON body sent for ``request`` (exposed so tests and docs show exactly what goes out)."""
        body: dict[str, object] = {
            "model": self.model,
            "messages": request.openai_messages(self.image_format),
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "stop": [ANSWER_STOP],
            "include_stop_str_in_output": True,
        }
        if self.structured and request.grammar:
            body["structured_outputs"] = {"grammar": request.grammar}
        if self.disable_thinking:
            body["chat_template_kwargs"] = {"enable_thinking": False}
        return body

    def cancel(self) -> None:
        """Abort the request in flight, if any (its caller gets RequestCancelled)."""
        with self._lock:
            self._abort_active()

    def _abort_active(self) -> None:
        if self._active is None:
            return
        ticket, conn = self._active
        self._cancelled.add(ticket)
        sock = conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def generate(self, request: VlmRequest) -> BackendReply:
        payload = json.dumps(self.request_body(request)).encode()
        conn = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout_s)
        with self._lock:
            self._abort_active()
            self._ticket += 1
            ticket = self._ticket
            self._active = (ticket, conn)
        t0 = time.perf_counter()
        try:
            conn.request("POST", self._prefix + "/v1/chat/completions", payload, {"Content-Type": "application/json"})
            reply = conn.getresponse()
            raw = reply.read()
        except (OSError, http.client.HTTPException) as exc:
            if ticket in self._cancelled:
                raise RequestCancelled(f"request {request.request_id} superseded by a newer frame") from exc
            if isinstance(exc, TimeoutError | socket.timeout):
                raise BackendError(f"{self.endpoint}: no reply within {self.timeout_s} s") from exc
            raise BackendError(f"{self.endpoint}: {type(exc).__name__}: {exc}") from exc
        finally:
            conn.close()
            with self._lock:
                if self._active is not None and self._active[0] == ticket:
                    self._active = None
                self._cancelled.discard(ticket)
        latency = time.perf_counter() - t0
        if reply.status != 200:
            raise BackendError(f"{self.endpoint}: HTTP {reply.status}: {raw[:200]!r}")
        return _parse_reply(raw, latency, self.endpoint)

    def close(self) -> None:
        self.cancel()


def _parse_reply(raw: bytes, latency: float, endpoint: str) -> BackendReply:
    try:
        data = json.loads(raw)
        choice = data["choices"][0]
        text = choice["message"]["content"] or ""
        finish = str(choice.get("finish_reason") or "stop")
        tokens = int((data.get("usage") or {}).get("completion_tokens", -1))
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise BackendError(f"{endpoint}: malformed chat completion: {raw[:200]!r}") from exc
    if not isinstance(text, str):
        raise BackendError(f"{endpoint}: message content is {type(text).__name__}, not text")
    return BackendReply(with_stop(text, finish), finish, latency, tokens)
