"""The vllm-server backend against a local OpenAI-compatible peer that asserts on every request.

The peer is ours (http.server on 127.0.0.1, random port): it checks what the client sends (data-URL
image, grammar in ``structured_outputs``, ``stop``, ``chat_template_kwargs``) and plays slow, failing
and malformed replies. It tests our client, not vLLM.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np
import pytest

from vsgg_ros.codec.toon import decode_toon
from vsgg_ros.graph import Frame, Vocabulary
from vsgg_ros.vlm.backends.base import BackendError, RequestCancelled
from vsgg_ros.vlm.backends.server import VllmServerBackend, health_check
from vsgg_ros.vlm.predictor import VlmPredictor
from vsgg_ros.vlm.prompts import VlmRequest
from vsgg_ros.vlm.schema import build_schema

GOOD = (
    "<answer>\nobj[2]{id,name,x1,y1,x2,y2}:\n  1,person,10,10,40,60\n  2,cup,50,20,60,30\n"
    "rel[1]{subj,pred,obj}:\n  1,holding,2\n"
)


class Peer(BaseHTTPRequestHandler):
    """Replies per ``server.mode``; records every parsed request body in ``server.bodies``."""

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client cancelled (newest wins)
            self.wfile.write(payload)

    def do_GET(self) -> None:
        if self.path == "/health":
            self._send(200, b"")
        elif self.path == "/v1/models":
            self._send(200, json.dumps({"data": [{"id": "sgvlm"}]}).encode())
        else:
            self._send(404, b"{}")

    def do_POST(self) -> None:
        assert self.path == "/v1/chat/completions"
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server = self.server
        server.bodies.append(body)  # type: ignore[attr-defined]
        mode = server.mode  # type: ignore[attr-defined]
        if mode == "slow":
            time.sleep(server.delay)  # type: ignore[attr-defined]
        if mode == "fail":
            self._send(500, b'{"error": "engine dead"}')
        elif mode == "malformed":
            self._send(200, b'{"choices": []}')
        elif mode == "garbage_text":
            self._send(200, _completion("I see a cat on a mat."))
        else:
            self._send(200, _completion(GOOD))


def _completion(text: str) -> bytes:
    choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
    return json.dumps({"choices": [choice], "usage": {"completion_tokens": 42}}).encode()


@pytest.fixture
def peer() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Peer)
    server.bodies, server.mode, server.delay = [], "good", 0.0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _endpoint(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def _request(grammar: str | None = 'root ::= "x"') -> VlmRequest:
    image = np.zeros((48, 64, 3), dtype=np.uint8)
    image[:, :32] = (255, 0, 0)
    return VlmRequest("cam-7", "static instructions", image, "Image size: 64x48.\nScene graph:", grammar)


def test_request_carries_image_grammar_stop_and_template_kwargs(peer: ThreadingHTTPServer) -> None:
    backend = VllmServerBackend(_endpoint(peer), model="sgvlm", max_tokens=300, timeout_s=5)
    reply = backend.generate(_request())
    (body,) = peer.bodies  # type: ignore[attr-defined]
    assert body["model"] == "sgvlm" and body["max_tokens"] == 300 and body["temperature"] == 0.0
    assert body["stop"] == ["</answer>"] and body["include_stop_str_in_output"] is True
    assert body["structured_outputs"] == {"grammar": 'root ::= "x"'}
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    system, user = body["messages"]
    assert system == {"role": "system", "content": "static instructions"}
    image_part, text_part = user["content"]
    assert text_part == {"type": "text", "text": "Image size: 64x48.\nScene graph:"}
    url = image_part["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    decoded = cv2.imdecode(np.frombuffer(base64.b64decode(url.split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (48, 64, 3)
    assert decoded[10, 5, 2] > 200 and decoded[10, 5, 0] < 50  # left half red (BGR from OpenCV)
    assert decoded[10, 60].max() < 50
    assert reply.text == GOOD + "</answer>"  # stop string restored
    assert reply.finish_reason == "stop" and reply.completion_tokens == 42
    assert decode_toon(reply.text).strictly_valid


def test_unconstrained_request_has_no_structured_outputs(peer: ThreadingHTTPServer) -> None:
    VllmServerBackend(_endpoint(peer), structured=False, timeout_s=5).generate(_request())
    assert "structured_outputs" not in peer.bodies[0]  # type: ignore[attr-defined]


def test_timeout_failure_and_malformed_replies_raise_backend_errors(peer: ThreadingHTTPServer) -> None:
    backend = VllmServerBackend(_endpoint(peer), timeout_s=0.3)
    peer.mode, peer.delay = "slow", 1.0  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    with pytest.raises(BackendError, match=r"no reply within 0\.3 s"):
        backend.generate(_request())
    assert time.perf_counter() - t0 < 0.9
    peer.mode = "fail"  # type: ignore[attr-defined]
    with pytest.raises(BackendError, match="HTTP 500"):
        backend.generate(_request())
    peer.mode = "malformed"  # type: ignore[attr-defined]
    with pytest.raises(BackendError, match="malformed chat completion"):
        backend.generate(_request())


def test_newer_request_cancels_the_one_in_flight(peer: ThreadingHTTPServer) -> None:
    backend = VllmServerBackend(_endpoint(peer), timeout_s=5)
    peer.mode, peer.delay = "slow", 1.5  # type: ignore[attr-defined]
    outcome: list[object] = []

    def first() -> None:
        try:
            outcome.append(backend.generate(_request()))
        except BackendError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    deadline = time.monotonic() + 3
    while not peer.bodies and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.01)
    peer.mode = "good"  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    reply = backend.generate(_request())
    thread.join(timeout=5)
    assert isinstance(outcome[0], RequestCancelled)
    assert reply.text.startswith("<answer>") and time.perf_counter() - t0 < 1.0


def test_predictor_counts_failures_and_keeps_stale_relations(peer: ThreadingHTTPServer) -> None:
    vocab = Vocabulary("toy", ("person", "cup"), ("holding",))
    backend = VllmServerBackend(_endpoint(peer), timeout_s=5)
    predictor = VlmPredictor(backend, build_schema("closed", vocab), max_pixels=64 * 48, max_objects=4)
    frame = Frame(3, 3_000, np.zeros((48, 64, 3), dtype=np.uint8))
    first = predictor.predict(frame, [])
    assert [(r.subject_id, r.object_id, r.predicate) for r in first.relations] == [(1, 2, "holding")]
    grammar = peer.bodies[0]["structured_outputs"]["grammar"]  # type: ignore[attr-defined]
    assert '"holding"' in grammar and '"cup"' in grammar
    peer.mode = "garbage_text"  # type: ignore[attr-defined]
    stale = predictor.predict(Frame(4, 4_000, frame.image), [])
    assert stale is first  # keep_stale: the assembler keeps aging the previous relations
    peer.mode = "fail"  # type: ignore[attr-defined]
    predictor.predict(Frame(5, 5_000, frame.image), [])
    stats = predictor.stats.as_dict()
    assert stats["calls"] == 3 and stats["failures"] == 2 and stats["failure_rate"] == pytest.approx(2 / 3)
    assert stats["reasons"] == {"no_obj_table": 1, "BackendError": 1}
    user_text = peer.bodies[1]["messages"][1]["content"][1]["text"]  # type: ignore[attr-defined]
    assert "Previous frame scene graph (TOON):\n\nobj[2]{id,name,x1,y1,x2,y2}:" in user_text


def test_health_check(peer: ThreadingHTTPServer) -> None:
    assert health_check(_endpoint(peer), "sgvlm").ok
    status = health_check(_endpoint(peer), "other")
    assert not status.ok and "not 'other'" in status.detail and status.models == ("sgvlm",)
    assert not health_check("http://127.0.0.1:9", timeout_s=0.5).ok
    with pytest.raises(ValueError, match="http://host:port"):
        health_check("ftp://x")
