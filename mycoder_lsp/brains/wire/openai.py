"""OpenAI-compatible servers (llama.cpp server, vLLM, LM Studio, Ollama's own
``/v1``): ``/v1/chat/completions`` and ``/v1/completions`` streamed as
server-sent events, llama.cpp's ``/infill``, ``/tokenize`` and ``/props``,
``/v1/embeddings`` and ``/v1/models``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx

from mycoder_lsp.brains.wire.base import (
    CHOICE_TOP_LOGPROBS,
    NO_TOKENIZER,
    Choice,
    Completion,
    FimRequest,
    Message,
    ServerInfo,
    Wire,
    answered_choice,
    count,
    error_text,
    label_probabilities,
    seconds,
)
from mycoder_lsp.brains.wire.http import BrainError, ServerFault, request_timeout
from mycoder_lsp.config import server_base

# The event that ends a stream ("data: [DONE]").
_SSE_DONE: dict[str, Any] = {}
_FIM_PATHS = {"infill": "/infill", "completions": "/v1/completions"}

if TYPE_CHECKING:
    from mycoder_lsp.config import BrainSettings


class OpenAIWire(Wire):
    """One OpenAI-compatible server."""

    backend = "openai"
    chat_path = "/v1/chat/completions"
    embed_path = "/v1/embeddings"
    fim_wires = ("infill", "completions")

    @staticmethod
    def base_of(url: str) -> str:
        return server_base(url)

    @property
    def label(self) -> str:
        return f"the OpenAI-compatible server at {self.url}"

    def unreachable(self) -> BrainError:
        return ServerFault(
            f"The OpenAI-compatible server at {self.url} is not reachable — start it (llama.cpp server, vLLM, "
            "LM Studio) or fix the brain's url.")

    def not_found(self, model: str, text: str) -> BrainError:
        return BrainError(f"The model {model} is not available on {self.url} ({text or 'not found'}) — load it "
                          "there or fix the brain's model name.")

    def sse_event(self, line: str) -> dict[str, Any] | None:
        """One server-sent event line (chat or FIM): its JSON, ``_SSE_DONE`` at
        the end, None for comments, event names and keep-alives; an error the
        server sends mid-stream is raised."""
        if not line.startswith("data:"):
            return None
        text = line[5:].strip()
        if text == "[DONE]":
            return _SSE_DONE
        data = self.json_object(text)
        if data.get("error"):
            raise BrainError(f"{self.label} stopped with an error: {error_text(text.encode())}")
        return data

    # -- chat ---------------------------------------------------------------------

    def chat_payload(self, settings: BrainSettings, messages: list[Message], *, json_mode: bool, max_tokens: int,
                     num_ctx: int | None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": settings.model,
            "messages": messages,
            "stream": True,
            "max_tokens": max_tokens,
            "temperature": settings.temperature,
            # Without it llama-server and vLLM send no token counts when streaming.
            "stream_options": {"include_usage": True},
        }
        if json_mode:
            payload["response_format"] = {"type": "json_object"}
        return payload

    def parse_chat_line(self, line: str, result: Completion) -> tuple[str, bool]:
        data = self.sse_event(line)
        if data is None or data is _SSE_DONE:
            return "", data is _SSE_DONE
        pieces = []
        for choice in data.get("choices") or []:
            pieces.append((choice.get("delta") or {}).get("content") or "")
            if choice.get("finish_reason"):
                result.done_reason = choice["finish_reason"]
        read_counters(data, result)
        return "".join(pieces), False

    # -- a constrained choice -------------------------------------------------------

    def choice_payload(self, settings: BrainSettings, messages: list[Message], labels: Sequence[str], *,
                       max_tokens: int, num_ctx: int | None) -> dict[str, Any]:
        # One token is enough: the labels differ in their first token, and the
        # alternatives listed for it carry the probability of every label.
        return {"model": settings.model, "messages": messages, "stream": False, "max_tokens": 1,
                "temperature": 0.0, "logprobs": True, "top_logprobs": CHOICE_TOP_LOGPROBS}

    def read_choice(self, data: dict[str, Any], labels: Sequence[str]) -> Choice | None:
        if data.get("error"):
            raise BrainError(f"{self.label} stopped with an error: {error_text(json.dumps(data).encode())}")
        usage = data.get("usage")
        prompt_tokens = count(usage.get("prompt_tokens")) if isinstance(usage, dict) else None
        choices = data.get("choices")
        first = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
        tokens = (first.get("logprobs") or {}).get("content") or []
        if tokens and isinstance(tokens[0], dict):
            top = [(t.get("token"), t.get("logprob")) for t in tokens[0].get("top_logprobs") or []
                   if isinstance(t, dict)]
            probabilities = label_probabilities(top, labels)
            if probabilities:
                return Choice(probabilities, True, prompt_tokens)
        return answered_choice(str((first.get("message") or {}).get("content") or ""), labels, prompt_tokens)

    # -- fill in the middle: /infill and /v1/completions ---------------------------------

    def fim_path(self, fim_wire: str) -> str:
        return _FIM_PATHS[fim_wire]

    def fim_payload(self, settings: BrainSettings, request: FimRequest, fim_wire: str,
                    num_ctx: int | None) -> dict[str, Any]:
        # "infill": llama.cpp applies the model's template (other files as
        # input_extra); "completions": our templated prompt.
        common = {"temperature": settings.temperature, "stop": request.stop, "stream": True, "seed": request.seed,
                  # llama.cpp keeps the evaluated prompt and reuses its common prefix
                  # on the next keystroke; other servers ignore the key.
                  "cache_prompt": True}
        if fim_wire == "infill":
            return {"model": settings.model, "input_prefix": request.prefix, "input_suffix": request.suffix,
                    "input_extra": [{"filename": name, "text": text} for name, text in request.extra],
                    "prompt": "", "n_predict": request.max_tokens, **common}
        return {"model": settings.model, "prompt": request.prompt, "max_tokens": request.max_tokens,
                "stream_options": {"include_usage": True}, **common}

    def parse_fim_line(self, fim_wire: str, line: str, result: Completion) -> tuple[str, bool]:
        data = self.sse_event(line)
        if data is None or data is _SSE_DONE:
            return "", data is _SSE_DONE
        if fim_wire == "infill":
            done = bool(data.get("stop"))
            if done:
                result.prompt_tokens = count(data.get("tokens_evaluated"))
                result.output_tokens = count(data.get("tokens_predicted"))
                result.done_reason = "length" if data.get("stop_type") == "limit" else "stop"
                read_counters({"timings": data.get("timings")}, result)
            return str(data.get("content") or ""), done
        pieces = []
        for choice in data.get("choices") or []:
            pieces.append(str(choice.get("text") or ""))
            if choice.get("finish_reason"):
                result.done_reason = choice["finish_reason"]
        read_counters(data, result)
        return "".join(pieces), False

    # -- the window and the tokenizer --------------------------------------------------------

    async def ask_window(self, http: httpx.AsyncClient, model: str) -> int | None:
        # llama.cpp's server: the window of one slot. Others (vLLM) put
        # max_model_len in /v1/models.
        props = await http.get(self.url + "/props", headers=self.headers, timeout=request_timeout(5.0))
        if props.status_code == 503:  # llama-server is loading the model: ask again later
            raise ValueError("the server is loading (HTTP 503)")
        if props.status_code == 200:
            n_ctx = count((props.json().get("default_generation_settings") or {}).get("n_ctx"))
            if n_ctx:
                return n_ctx
        models = await http.get(self.url + "/v1/models", headers=self.headers, timeout=request_timeout(5.0))
        if models.status_code != 200:
            return None
        for entry in models.json().get("data") or []:
            if isinstance(entry, dict) and entry.get("id") == model:
                return count(entry.get("max_model_len")) or count((entry.get("meta") or {}).get("n_ctx"))
        return None

    @property
    def has_tokenizer(self) -> bool:
        # llama.cpp's /tokenize; a server without one (404) is not asked again.
        return self.url not in NO_TOKENIZER

    async def count_tokens(self, http: httpx.AsyncClient, text: str) -> int | None:
        response = await http.post(self.url + "/tokenize", json={"content": text}, headers=self.headers,
                                   timeout=request_timeout(5.0))
        if response.status_code == 404:
            NO_TOKENIZER.add(self.url)
        elif response.status_code == 200:
            tokens = response.json().get("tokens")
            if isinstance(tokens, list):
                return len(tokens)
        return None

    # -- embeddings and doctor ------------------------------------------------------------

    def read_embeddings(self, data: Any) -> list[Any]:
        items = sorted(data.get("data") or [], key=lambda d: d.get("index", 0))
        return [item.get("embedding") for item in items]

    async def ask_models(self, http: httpx.AsyncClient, info: ServerInfo, timeout: float) -> None:
        models = await http.get(self.url + "/v1/models", headers=self.headers, timeout=timeout)
        self.raise_for_redirect(models)
        models.raise_for_status()
        info.models = [m.get("id") for m in models.json().get("data") or []]


def read_counters(data: dict[str, Any], result: Completion) -> None:
    """``usage`` of an event and llama-server's own ``timings``, where present."""
    usage = data.get("usage")
    if isinstance(usage, dict):
        result.prompt_tokens = count(usage.get("prompt_tokens"))
        result.output_tokens = count(usage.get("completion_tokens"))
    timings = data.get("timings")
    if isinstance(timings, dict):
        result.timings = timings
        result.prompt_seconds = seconds(timings.get("prompt_ms"), 1e3)
        result.output_seconds = seconds(timings.get("predicted_ms"), 1e3)


__all__ = ["OpenAIWire"]
