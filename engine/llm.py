"""Talking to any OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM, llama.cpp).

Uses the `openai` client with an explicit timeout and the client's own retries
(connection errors, 408, 409, 429, 5xx, with backoff and `Retry-After`), streams
the reply, and turns every failure into one line (`LLMError.reason`) that never
contains the API key. The key is read here and handed only to the client.

`openai` is imported inside functions: the CLI and TUI import this module at startup.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import urlsplit, urlunsplit

OPENAI_URL = "https://api.openai.com/v1"
NO_KEY = "sk-no-key-needed"
TOTAL_FACTOR = 10  # a streamed reply must be complete within 10 × the per-read timeout  # local servers ignore the key; the client insists on one


class LLMError(RuntimeError):
    """The LLM could not produce the report; `reason` is one line for the user."""

    def __init__(self, reason: str, partial: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.partial = partial


def read_api_key(api_key_file: Optional[str], env: Optional[dict[str, str]] = None) -> tuple[Optional[str], Optional[str]]:
    """(key or None, problem or None): `api_key_file` when given, else $OPENAI_API_KEY."""
    env = os.environ if env is None else env
    if api_key_file:
        path = Path(api_key_file).expanduser()
        try:
            key = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            return None, f"cannot read api_key_file {path}: {exc.strerror or type(exc).__name__}"
        if not key:
            return None, f"api_key_file {path} is empty"
        return key.splitlines()[0].strip(), None
    key = (env.get("OPENAI_API_KEY") or "").strip()
    return (key or None), None


def is_openai_url(base_url: Optional[str]) -> bool:
    return not base_url or urlsplit(base_url).hostname in ("api.openai.com",)


def safe_url(url: Optional[str]) -> str:
    """A URL fit for messages and files: no user:password@ part, no query string."""
    if not url:
        return OPENAI_URL
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


_KEYLIKE = re.compile(r"\b(sk|pk|rk|key|sess)-[A-Za-z0-9_\-*]{6,}")


def redact(text: str, secret: Optional[str]) -> str:
    """`text` with the key, any fragment of it of 8+ characters, and key-like tokens removed."""
    if secret and len(secret) >= 4:
        text = text.replace(secret, "[key]")
        if len(secret) >= 8:
            for n in range(len(secret) - 1, 7, -1):
                for i in range(0, len(secret) - n + 1):
                    frag = secret[i:i + n]
                    if frag in text:
                        text = text.replace(frag, "[key]")
    text = _KEYLIKE.sub("[key]", text)
    return text


def one_line(text: str, limit: int = 240) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def make_client(base_url: Optional[str], api_key: Optional[str], timeout_s: float, max_retries: int) -> Any:
    """A client whose every wait (connect, read between chunks) is at most `timeout_s`."""
    from openai import OpenAI

    try:
        return OpenAI(api_key=api_key or NO_KEY, base_url=base_url or OPENAI_URL, timeout=timeout_s, max_retries=max_retries)
    except Exception as exc:  # e.g. a malformed base URL
        raise LLMError(f"cannot set up the client for {safe_url(base_url)}: {one_line(redact(str(exc), api_key))}") from None


def pick_model(client: Any, base_url: Optional[str], api_key: Optional[str]) -> str:
    """The server's first model, for a local server given without --model."""
    try:
        models = client.models.list()
        ids = [m.id for m in getattr(models, "data", [])]
    except Exception as exc:
        raise LLMError(f"no --model given and {safe_url(base_url)} did not list its models: "
                       f"{describe_error(exc, base_url, api_key)}") from None
    if not ids:
        raise LLMError(f"no --model given and {safe_url(base_url)} lists no models")
    return ids[0]


def describe_error(exc: BaseException, base_url: Optional[str], api_key: Optional[str], timeout_s: float = 0,
                   max_retries: int = 0) -> str:
    """One redacted line saying what went wrong."""
    import openai

    where = safe_url(base_url)
    tries = f" (after {max_retries} retr{'y' if max_retries == 1 else 'ies'})" if max_retries else ""
    if isinstance(exc, openai.APITimeoutError):
        return f"no answer from {where} within the {timeout_s:g} s timeout{tries}"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        detail = one_line(redact(str(cause or exc), api_key), 120)
        return f"cannot connect to {where}{tries}: {detail}"
    if isinstance(exc, openai.AuthenticationError):
        return f"HTTP 401 from {where}: the API key was rejected (check OPENAI_API_KEY or llm.api_key_file)"
    if isinstance(exc, openai.RateLimitError):
        return f"HTTP 429 from {where}: rate limited{tries}"
    if isinstance(exc, openai.NotFoundError):
        return f"HTTP 404 from {where}: {one_line(redact(_message(exc), api_key), 160)} (is the model name right?)"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code} from {where}{tries}: {one_line(redact(_message(exc), api_key), 160)}"
    if isinstance(exc, openai.APIResponseValidationError):
        return f"malformed reply from {where}: {one_line(redact(str(exc), api_key), 160)}"
    if isinstance(exc, openai.APIError):
        return f"error from {where}: {one_line(redact(str(exc), api_key), 160)}"
    return f"malformed or broken reply from {where}: {type(exc).__name__}: {one_line(redact(str(exc), api_key), 160)}"


def _message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        if isinstance(err, str):
            return err
    return str(getattr(exc, "message", "") or exc)


def chat(
    messages: list[dict[str, str]],
    *,
    model: Optional[str],
    base_url: Optional[str],
    api_key: Optional[str],
    temperature: float,
    timeout_s: float,
    max_retries: int,
    stream: bool = True,
    on_chunk: Optional[Callable[[str], None]] = None,
) -> tuple[str, str]:
    """Send `messages`; returns (reply text, model used). Raises LLMError (one line, no key)."""
    client = make_client(base_url, api_key, timeout_s, max_retries)
    try:
        if not model:
            model = pick_model(client, base_url, api_key)
        text = ""
        try:
            if stream:
                parts: list[str] = []
                finished = None
                response = client.chat.completions.create(model=model, messages=messages, temperature=temperature, stream=True)
                deadline = time.monotonic() + TOTAL_FACTOR * timeout_s
                try:
                    for chunk in response:
                        if time.monotonic() > deadline:
                            raise LLMError(f"the reply from {safe_url(base_url)} took longer than "
                                           f"{TOTAL_FACTOR * timeout_s:g} s ({TOTAL_FACTOR} × the timeout) and was cut off",
                                           partial="".join(parts))
                        choices = getattr(chunk, "choices", None) or []
                        if not choices:
                            continue
                        if getattr(choices[0], "finish_reason", None):
                            finished = choices[0].finish_reason
                        delta = getattr(choices[0], "delta", None)
                        piece = getattr(delta, "content", None) if delta is not None else None
                        if piece:
                            parts.append(piece)
                            if on_chunk is not None:
                                on_chunk(piece)
                finally:
                    close = getattr(response, "close", None)
                    if close is not None:
                        try:
                            close()
                        except Exception:
                            pass
                text = "".join(parts)
                if finished is None:
                    # the connection closed before the server said the answer was complete
                    raise LLMError(f"the reply from {safe_url(base_url)} broke off after {len(text)} characters "
                                   "(the stream ended without a finish_reason)", partial=text)
            else:
                resp = client.chat.completions.create(model=model, messages=messages, temperature=temperature)
                choices = getattr(resp, "choices", None)
                if not choices:
                    raise LLMError(f"malformed reply from {safe_url(base_url)}: no choices in the answer")
                text = getattr(choices[0].message, "content", None) or ""
                if not isinstance(text, str):
                    raise LLMError(f"malformed reply from {safe_url(base_url)}: the message content is not text")
                if text and on_chunk is not None:
                    on_chunk(text)
        except LLMError:
            raise
        except Exception as exc:
            partial = "".join(parts) if stream and "parts" in locals() else ""
            reason = describe_error(exc, base_url, api_key, timeout_s, max_retries)
            if partial:
                reason = f"the reply broke off after {len(partial)} characters: {reason}"
            raise LLMError(reason, partial=partial) from None
        if not text.strip():
            raise LLMError(f"the model {model} at {safe_url(base_url)} returned an empty reply")
        return text, model
    finally:
        try:
            client.close()
        except Exception:
            pass
