"""``vllm-offline``: vLLM's V1 ``AsyncLLM`` in this process, with stale requests aborted (newest frame wins).

Written against vLLM >= 0.12 (``vllm.v1.engine.async_llm.AsyncLLM``, ``AsyncEngineArgs``,
``SamplingParams(structured_outputs=StructuredOutputsParams(grammar=...))``, ``engine.abort``). The
engine lives on its own asyncio loop thread (beside rclpy's executor); vLLM spawns its EngineCore, so
the entry module must be import-safe (``if __name__ == "__main__":``). GPU only: not runnable on the
development machines (tests are marked ``gpu``). Prefer ``vllm-server`` on the robot.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from vsgg_ros.vlm.backends.base import ANSWER_STOP, BackendError, BackendReply, RequestCancelled
from vsgg_ros.vlm.prompts import VlmRequest


class VllmOfflineBackend:
    def __init__(
        self,
        model: str,
        max_tokens: int = 768,
        timeout_s: float = 10.0,
        max_model_len: int = 4096,
        gpu_memory_utilization: float = 0.4,
        max_pixels: int = 401408,
        enable_prefix_caching: bool = True,
    ) -> None:
        from transformers import AutoProcessor
        from vllm.engine.arg_utils import AsyncEngineArgs
        from vllm.v1.engine.async_llm import AsyncLLM

        self.model_id = f"vlm:{model}"
        self.max_tokens = max_tokens
        self.timeout_s = timeout_s
        self._processor = AutoProcessor.from_pretrained(model)
        args = AsyncEngineArgs(
            model=model,
            max_model_len=max_model_len,
            gpu_memory_utilization=gpu_memory_utilization,
            limit_mm_per_prompt={"image": 1, "video": 0},
            mm_processor_kwargs={"max_pixels": max_pixels},
            enable_prefix_caching=enable_prefix_caching,
            max_num_seqs=2,
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="vsgg-vllm", daemon=True)
        self._thread.start()
        self._engine = AsyncLLM.from_engine_args(args)
        self._lock = threading.Lock()
        self._active: str | None = None
        self._cancelled: set[str] = set()

    def sampling_params(self, request: VlmRequest) -> Any:
        from vllm import SamplingParams
        from vllm.sampling_params import RequestOutputKind, StructuredOutputsParams

        structured = StructuredOutputsParams(grammar=request.grammar) if request.grammar else None
        return SamplingParams(
            temperature=0.0,
            max_tokens=self.max_tokens,
            stop=[ANSWER_STOP],
            include_stop_str_in_output=True,
            structured_outputs=structured,
            output_kind=RequestOutputKind.FINAL_ONLY,
        )

    def prompt(self, request: VlmRequest) -> dict[str, Any]:
        from PIL import Image

        messages = [
            {"role": "system", "content": request.system},
            {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": request.user_text}]},
        ]
        text = self._processor.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=False, enable_thinking=False
        )
        return {"prompt": text, "multi_modal_data": {"image": Image.fromarray(request.image)}}

    async def _run(self, request: VlmRequest) -> Any:
        final = None
        async for output in self._engine.generate(
            request_id=request.request_id, prompt=self.prompt(request), sampling_params=self.sampling_params(request)
        ):
            final = output
        return final

    def generate(self, request: VlmRequest) -> BackendReply:
        with self._lock:
            if self._active is not None:
                self._cancelled.add(self._active)
                asyncio.run_coroutine_threadsafe(self._engine.abort(self._active), self._loop)
            self._active = request.request_id
        t0 = time.perf_counter()
        future = asyncio.run_coroutine_threadsafe(self._run(request), self._loop)
        try:
            final = future.result(timeout=self.timeout_s)
        except TimeoutError as exc:
            asyncio.run_coroutine_threadsafe(self._engine.abort(request.request_id), self._loop)
            raise BackendError(f"vLLM request {request.request_id}: no result within {self.timeout_s} s") from exc
        finally:
            with self._lock:
                if self._active == request.request_id:
                    self._active = None
        if request.request_id in self._cancelled or final is None or not final.outputs:
            self._cancelled.discard(request.request_id)
            raise RequestCancelled(f"vLLM request {request.request_id} was aborted for a newer frame")
        out = final.outputs[0]
        return BackendReply(out.text, str(out.finish_reason or "stop"), time.perf_counter() - t0, len(out.token_ids))

    def close(self) -> None:
        self._engine.shutdown()
        self._loop.call_soon_threadsafe(self._loop.stop)
