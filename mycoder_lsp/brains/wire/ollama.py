"""Ollama's native API: ``/api/chat`` and ``/api/generate`` streamed as
newline-delimited JSON, ``/api/embed``, ``/api/show`` for the window and
``/api/version`` + ``/api/tags`` for ``doctor``."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx

from mycoder_lsp.brains.wire.base import (
    CHOICE_MAX_TOKENS,
    CHOICE_TOP_LOGPROBS,
    DEFAULT_NUM_CTX,
    MAX_NUM_CTX,
    Choice,
    Completion,
    FimRequest,
    Message,
    ServerInfo,
    Wire,
    answered_choice,
    count,
    label_probabilities,
    seconds,
)
from mycoder_lsp.brains.wire.http import BrainError, ServerFault, request_timeout

if TYPE_CHECKING:
    from mycoder_lsp.config import BrainSettings


class OllamaWire(Wire):
    """One Ollama server."""

    backend = "ollama"
    chat_path = "/api/chat"
    embed_path = "/api/embed"
    fim_wires = ("ollama-suffix", "ollama-raw")
    sends_num_ctx = True

    @property
    def label(self) -> str:
        return f"Ollama at {self.url}"

    def unreachable(self) -> BrainError:
        return ServerFault(f"Ollama is not reachable at {self.url} — start it with `ollama serve` "
                           "(or fix the brain's url).")

    def not_found(self, model: str, text: str) -> BrainError:
        return BrainError(f"The model {model} is not pulled on {self.url} — run `ollama pull {model}`.")

    def _stopped(self, data: dict[str, Any]) -> None:
        if data.get("error"):
            raise BrainError(f"Ollama at {self.url} stopped with an error: {data['error']}")

    async def misdirected(self, http: httpx.AsyncClient, status: int, setting: str) -> BrainError | None:
        if status == 404 and await self._speaks_openai_only(http):
            return BrainError(
                f"The server at {self.url} does not speak Ollama's API (HTTP 404 for /api/...): this looks like an "
                f"OpenAI-compatible server (llama.cpp server, vLLM, LM Studio): set `backend = \"openai\"` "
                f"({setting}) and keep the url.")
        return None

    async def _speaks_openai_only(self, http: httpx.AsyncClient) -> bool:
        """After a 404 from Ollama's API: is this an OpenAI-compatible server
        (llama.cpp server, vLLM, LM Studio) rather than Ollama? Ollama answers
        ``/api/version``; the others do not, but list models at ``/v1/models``."""
        try:
            version = await http.get(self.url + "/api/version", timeout=request_timeout(3.0))
            if version.status_code == 200 and isinstance(version.json(), dict) and version.json().get("version"):
                return False
            models = await http.get(self.url + "/v1/models", headers=self.headers, timeout=request_timeout(3.0))
            return models.status_code == 200 and isinstance(models.json().get("data"), list)
        except (httpx.HTTPError, ValueError, AttributeError):
            return False

    # -- chat ---------------------------------------------------------------------

    def chat_payload(self, settings: BrainSettings, messages: list[Message], *, json_mode: bool, max_tokens: int,
                     num_ctx: int | None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": settings.model,
            "messages": messages,
            "stream": True,
            "options": {
                "temperature": settings.temperature,
                "num_predict": max_tokens,
                "num_ctx": num_ctx or DEFAULT_NUM_CTX,
            },
            "keep_alive": settings.keep_alive,
        }
        if json_mode:
            payload["format"] = "json"
        return payload

    def parse_chat_line(self, line: str, result: Completion) -> tuple[str, bool]:
        data = self.json_object(line)
        self._stopped(data)
        piece = (data.get("message") or {}).get("content") or ""
        if data.get("done"):
            read_final(data, result)
            return piece, True
        return piece, False

    # -- a constrained choice -------------------------------------------------------

    def choice_payload(self, settings: BrainSettings, messages: list[Message], labels: Sequence[str], *,
                       max_tokens: int, num_ctx: int | None) -> dict[str, Any]:
        # A JSON schema with an enum makes Ollama answer one of the labels;
        # Ollama 0.12.11 and later also send the log-probabilities asked for.
        schema = {"type": "object", "properties": {"choice": {"type": "string", "enum": list(labels)}},
                  "required": ["choice"]}
        options: dict[str, Any] = {"temperature": 0.0, "num_predict": min(CHOICE_MAX_TOKENS, max_tokens)}
        if num_ctx:
            options["num_ctx"] = num_ctx
        return {"model": settings.model, "messages": messages, "stream": False, "format": schema,
                "options": options, "keep_alive": settings.keep_alive, "logprobs": True,
                "top_logprobs": CHOICE_TOP_LOGPROBS}

    def read_choice(self, data: dict[str, Any], labels: Sequence[str]) -> Choice | None:
        self._stopped(data)
        prompt_tokens = count(data.get("prompt_eval_count"))
        # The label's first token is the one after the JSON's opening `{"choice": "`.
        before = ""
        for entry in data.get("logprobs") or []:
            if not isinstance(entry, dict):
                break
            if re.search(r':\s*"$', before):
                top = [(t.get("token"), t.get("logprob")) for t in entry.get("top_logprobs") or []
                       if isinstance(t, dict)]
                probabilities = label_probabilities(top, labels)
                if probabilities:
                    return Choice(probabilities, True, prompt_tokens)
                break
            before += str(entry.get("token") or "")
        content = str((data.get("message") or {}).get("content") or "")
        try:
            answer = json.loads(content)
        except ValueError:
            return answered_choice(content, labels, prompt_tokens)
        for value in answer.values() if isinstance(answer, dict) else [answer]:
            choice = answered_choice(value, labels, prompt_tokens) if isinstance(value, str) else None
            if choice is not None:
                return choice
        return None

    # -- fill in the middle: /api/generate ---------------------------------------------

    def fim_path(self, fim_wire: str) -> str:
        return "/api/generate"

    def fim_payload(self, settings: BrainSettings, request: FimRequest, fim_wire: str,
                    num_ctx: int | None) -> dict[str, Any]:
        # "ollama-suffix": Ollama applies the model's own template to prefix and
        # suffix; "ollama-raw": our templated prompt, sent as is.
        options: dict[str, Any] = {"temperature": settings.temperature, "num_predict": request.max_tokens,
                                   "num_ctx": num_ctx or DEFAULT_NUM_CTX, "seed": request.seed}
        if request.stop:
            options["stop"] = request.stop
        payload: dict[str, Any] = {"model": settings.model, "stream": True, "options": options,
                                   "keep_alive": settings.keep_alive}
        if fim_wire == "ollama-raw":
            payload.update(prompt=request.prompt, raw=True)
        else:
            payload.update(prompt=request.prefix, suffix=request.suffix)
        return payload

    def parse_fim_line(self, fim_wire: str, line: str, result: Completion) -> tuple[str, bool]:
        chunk = self.json_object(line)
        self._stopped(chunk)
        if chunk.get("done"):
            read_final(chunk, result)
        return str(chunk.get("response") or ""), bool(chunk.get("done"))

    # -- the window ---------------------------------------------------------------------

    async def ask_window(self, http: httpx.AsyncClient, model: str) -> int | None:
        response = await http.post(self.url + "/api/show", json={"model": model}, timeout=request_timeout(5.0))
        if response.status_code != 200:
            return None
        data = response.json()
        # A num_ctx in the Modelfile wins over the architecture's length; we
        # never ask for more than MAX_NUM_CTX either way.
        for line in str(data.get("parameters") or "").splitlines():
            name, _, value = line.strip().partition(" ")
            if name == "num_ctx" and value.strip().isdigit():
                return min(int(value.strip()), MAX_NUM_CTX)
        lengths = [v for k, v in (data.get("model_info") or {}).items()
                   if k.endswith(".context_length") and isinstance(v, int) and v > 0]
        return min(lengths[0], MAX_NUM_CTX) if lengths else None

    # -- embeddings and doctor ------------------------------------------------------------

    def read_embeddings(self, data: Any) -> list[Any]:
        return list(data.get("embeddings") or [])

    async def ask_models(self, http: httpx.AsyncClient, info: ServerInfo, timeout: float) -> None:
        version = await http.get(self.url + "/api/version", timeout=timeout)
        if version.status_code == 200:
            info.version = str(version.json().get("version"))
        tags = await http.get(self.url + "/api/tags", timeout=timeout)
        self.raise_for_redirect(tags)
        tags.raise_for_status()
        info.models = [m.get("name") or m.get("model") for m in tags.json().get("models") or []]


def read_final(data: dict[str, Any], result: Completion) -> None:
    """The counters of Ollama's last line (chat and generate alike)."""
    result.prompt_tokens = count(data.get("prompt_eval_count"))
    result.output_tokens = count(data.get("eval_count"))
    result.done_reason = data.get("done_reason") or None
    result.prompt_seconds = seconds(data.get("prompt_eval_duration"), 1e9)
    result.output_seconds = seconds(data.get("eval_duration"), 1e9)


__all__ = ["OllamaWire"]
