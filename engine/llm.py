"""Talking to any OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM, llama.cpp).

Uses the `openai` client with an explicit timeout and the client's own retries
(connection errors, 408, 409, 429, 5xx, with backoff and `Retry-After`), streams
the reply, and turns every failure into one line (`LLMError.reason`) that never
contains the API key nor terminal escape sequences from the server. The key is read
here and handed only to the client. What is read is bounded: the model is asked for at
most `max_tokens`, and reading stops after `max_chars` characters.

`openai` is imported inside functions: the CLI and TUI import this module at startup.
"""

from __future__ import annotations

import os
import re
import stat
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import urlsplit, urlunsplit

from sweepdeck.engine.errors import SweepdeckError
from sweepdeck.engine.safe_text import strip_control

OPENAI_URL = "https://api.openai.com/v1"
NO_KEY = "sk-no-key-needed"  # local servers ignore the key; the client insists on one
TOTAL_FACTOR = 10  # a streamed reply must be complete within 10 × the per-read timeout
MAX_ANSWER_CHARS = 64 * 1024  # a report is 5-15k characters; checking a longer answer costs seconds per 64k
KEY_FILE_MAX_BYTES = 4096
# RFC 6750's b64token: what an HTTP bearer token can be made of
_BEARER = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


class LLMError(SweepdeckError, RuntimeError):
    """The LLM could not produce the report; `reason` is one line for the user."""

    def __init__(self, reason: str, partial: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.partial = partial


@dataclass
class KeyFile:
    key: Optional[str] = None
    problem: Optional[str] = None                      # why it cannot be used: one line, never the content
    warnings: list[str] = field(default_factory=list)


def read_key_file(name: str, *, named_in_config: bool) -> KeyFile:
    """The key in `name`: one line that looks like a bearer token, in a regular file of
    at most 4 KiB. A file named only in a config must also belong to the current user,
    so a shared config cannot pick some other file to send. Nothing of the content
    appears in a problem or warning."""
    path = Path(name).expanduser()
    label = f"{'llm.api_key_file' if named_in_config else 'api_key_file'} {strip_control(str(path))}"
    try:
        # O_NONBLOCK: a FIFO or device named as the key file must not hang the report
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        return KeyFile(problem=f"cannot read {label}: {exc.strerror or type(exc).__name__}")
    try:
        st = os.fstat(fd)
        problem = _key_file_problem(st, named_in_config)
        data = b"" if problem else os.read(fd, KEY_FILE_MAX_BYTES + 1)
    finally:
        os.close(fd)
    if problem:
        return KeyFile(problem=f"{label} {problem}")
    try:
        lines = [ln.strip() for ln in data.decode("utf-8").splitlines() if ln.strip()]
    except UnicodeDecodeError:
        lines = ["not text"]
    if not lines:
        return KeyFile(problem=f"{label} is empty")
    if len(lines) > 1 or not _BEARER.fullmatch(lines[0]):
        return KeyFile(problem=f"{label} does not look like an API key: it must hold one line of letters, "
                               "digits and - . _ ~ + / = (its content is not shown)")
    warnings = []
    if st.st_mode & 0o077:
        warnings.append(f"{label} can be read by other users (mode {stat.S_IMODE(st.st_mode):o}): "
                        f"chmod 600 {strip_control(str(path))}")
    return KeyFile(key=lines[0], warnings=warnings)


def _key_file_problem(st: os.stat_result, named_in_config: bool) -> Optional[str]:
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file"
    if st.st_size > KEY_FILE_MAX_BYTES:
        return f"is {st.st_size} bytes: a key file holds one key (at most {KEY_FILE_MAX_BYTES} bytes)"
    if named_in_config and hasattr(os, "getuid") and st.st_uid != os.getuid():
        return (f"belongs to another user (uid {st.st_uid}): a key file named in a config must be your own; "
                "name it with --api-key-file if you mean it")
    return None


def is_openai_url(base_url: Optional[str]) -> bool:
    """OpenAI's own endpoint (the default), over HTTPS: the one host a key may always go to."""
    if not base_url:
        return True
    try:
        parts = urlsplit(base_url)
        return parts.scheme == "https" and parts.hostname == "api.openai.com"
    except ValueError:
        return False


def same_host(a: Optional[str], b: Optional[str]) -> bool:
    """Whether two URLs reach the same scheme, host and port."""
    if not a or not b:
        return False
    try:
        pa, pb = urlsplit(a), urlsplit(b)
        return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port) and bool(pa.hostname)
    except ValueError:
        return False


def safe_url(url: Optional[str]) -> str:
    """A URL fit for messages and files: no user:password@ part, no query string."""
    if not url:
        return OPENAI_URL
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:
        return "<invalid URL>"
    return strip_control(urlunsplit((parts.scheme, host, parts.path, "", "")))


_KEYLIKE = re.compile(r"\b(sk|pk|rk|key|sess)-[A-Za-z0-9_\-*]{6,}")


def redact(text: str, secret: Optional[str]) -> str:
    """`text` with the key, any fragment of it of 8+ characters, and key-like tokens removed."""
    return _KEYLIKE.sub("[key]", redact_key(text, secret))


def redact_key(text: str, secret: Optional[str]) -> str:
    """`text` with the key and any fragment of it of 8+ characters replaced by [key].
    For prose (an LLM answer): unlike `redact`, words such as "key-findings" stay."""
    if not secret or len(secret) < 4:
        return text
    text = text.replace(secret, "[key]")
    if len(secret) >= 8 and _eight_grams(secret).search(text):
        for n in range(len(secret) - 1, 7, -1):
            for i in range(0, len(secret) - n + 1):
                frag = secret[i:i + n]
                if frag in text:
                    text = text.replace(frag, "[key]")
    return text


@lru_cache(maxsize=4)
def _eight_grams(secret: str) -> "re.Pattern[str]":
    """Finds any 8 characters of `secret`: most texts have none, and then the slow
    fragment search (quadratic in the key's length) is skipped."""
    return re.compile("|".join(sorted({re.escape(secret[i:i + 8]) for i in range(len(secret) - 7)})))


def one_line(text: str, limit: int = 240) -> str:
    text = " ".join(strip_control(str(text)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def make_client(base_url: Optional[str], api_key: Optional[str], timeout_s: float, max_retries: int,
                ambient: bool = True) -> Any:
    """A client whose every wait (connect, read between chunks) is at most `timeout_s`.
    With `ambient` False, nothing the `openai` client takes from the environment by itself
    (OPENAI_ORG_ID, OPENAI_PROJECT_ID, OPENAI_CUSTOM_HEADERS) reaches the server either."""
    import openai

    try:
        http_client = None if ambient else openai.DefaultHttpxClient(event_hooks={"request": [_only_plain_headers]})
        return openai.OpenAI(api_key=api_key or NO_KEY, base_url=base_url or OPENAI_URL, timeout=timeout_s,
                             max_retries=max_retries, http_client=http_client)
    except Exception as exc:  # e.g. a malformed base URL
        raise LLMError(f"cannot set up the client for {safe_url(base_url)}: {one_line(redact(str(exc), api_key))}") from None


_PLAIN_HEADERS = {"host", "accept", "accept-encoding", "connection", "content-type", "content-length", "user-agent"}


def _only_plain_headers(request: Any) -> None:
    for name in list(request.headers.keys()):
        if name.lower() not in _PLAIN_HEADERS and not name.lower().startswith("x-stainless-"):
            del request.headers[name]


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
    if isinstance(exc, openai.AuthenticationError) and not api_key:
        return f"HTTP 401 from {where}: the server wants an API key, and none was sent"
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


def _broke_off(exc: BaseException, base_url: Optional[str], api_key: Optional[str], timeout_s: float, n: int) -> str:
    """One line for a failure after the server had started to answer: nothing is retried then."""
    import openai

    where = safe_url(base_url)
    if isinstance(exc, openai.APITimeoutError):
        return f"{where} sent nothing for {timeout_s:g} s after {n} characters of the answer"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        return f"the connection to {where} broke off after {n} characters of the answer: " \
               f"{one_line(redact(str(cause or exc), api_key), 120)}"
    return f"the answer from {where} broke off after {n} characters: {describe_error(exc, base_url, api_key)}"


def _message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        if isinstance(err, str):
            return err
    return str(getattr(exc, "message", "") or exc)


@dataclass
class Answer:
    text: str
    model: str
    cut: Optional[str] = None  # why the text is not the model's whole answer (None when it is)


@dataclass
class Request:
    """One chat request and the bounds on it."""
    messages: list[dict[str, str]]
    model: str
    base_url: Optional[str]
    api_key: Optional[str]
    temperature: float
    timeout_s: float
    max_retries: int
    max_tokens: int
    max_chars: int

    def create(self, client: Any, stream: bool) -> Any:
        # OpenAI's newer models refuse max_tokens; local servers know only max_tokens
        limit = "max_completion_tokens" if is_openai_url(self.base_url) else "max_tokens"
        kw = {"stream": True} if stream else {}
        return client.chat.completions.create(model=self.model, messages=self.messages, temperature=self.temperature,
                                              **{limit: self.max_tokens}, **kw)

    def token_cut(self, finish_reason: Optional[str]) -> Optional[str]:
        if finish_reason == "length":
            return f"the model stopped at the limit of {self.max_tokens} tokens (llm.max_tokens)"
        return None

    def char_cut(self) -> str:
        return f"the answer was longer than {self.max_chars} characters; sweepdeck stopped reading there"


def chat(
    messages: list[dict[str, str]],
    *,
    model: Optional[str],
    base_url: Optional[str],
    api_key: Optional[str],
    temperature: float,
    timeout_s: float,
    max_retries: int,
    max_tokens: int,
    max_chars: int = MAX_ANSWER_CHARS,
    stream: bool = True,
    on_chunk: Optional[Callable[[str], None]] = None,
    ambient: bool = True,
) -> Answer:
    """Send `messages`; returns the answer (at most `max_chars` characters). Raises LLMError (one line, no key).
    `on_chunk` receives the raw text as it arrives: clean it before showing it."""
    client = make_client(base_url, api_key, timeout_s, max_retries, ambient)
    try:
        if not model:
            model = pick_model(client, base_url, api_key)
        req = Request(messages, model, base_url, api_key, temperature, timeout_s, max_retries, max_tokens, max_chars)
        text, cut = (_read_stream if stream else _read_whole)(client, req, on_chunk or (lambda _s: None))
        if not text.strip():
            raise LLMError(f"the model {model} at {safe_url(base_url)} returned an empty reply")
        return Answer(text, model, cut)
    finally:
        try:
            client.close()
        except Exception:
            pass


def _read_whole(client: Any, req: Request, on_chunk: Callable[[str], None]) -> tuple[str, Optional[str]]:
    try:
        resp = req.create(client, stream=False)
    except Exception as exc:
        raise LLMError(describe_error(exc, req.base_url, req.api_key, req.timeout_s, req.max_retries)) from None
    choices = getattr(resp, "choices", None)
    if not choices:
        raise LLMError(f"malformed reply from {safe_url(req.base_url)}: no choices in the answer")
    text = getattr(choices[0].message, "content", None) or ""
    if not isinstance(text, str):
        raise LLMError(f"malformed reply from {safe_url(req.base_url)}: the message content is not text")
    cut = req.token_cut(getattr(choices[0], "finish_reason", None))
    if len(text) > req.max_chars:
        text, cut = text[:req.max_chars], req.char_cut()
    if text:
        on_chunk(text)
    return text, cut


def _read_stream(client: Any, req: Request, on_chunk: Callable[[str], None]) -> tuple[str, Optional[str]]:
    where = safe_url(req.base_url)
    try:
        response = req.create(client, stream=True)
    except Exception as exc:
        raise LLMError(describe_error(exc, req.base_url, req.api_key, req.timeout_s, req.max_retries)) from None
    parts: list[str] = []
    n = 0
    finished = None
    deadline = time.monotonic() + TOTAL_FACTOR * req.timeout_s
    try:
        for chunk in response:
            if time.monotonic() > deadline:
                raise LLMError(f"the reply from {where} took longer than {TOTAL_FACTOR * req.timeout_s:g} s "
                               f"({TOTAL_FACTOR} × the timeout) and was cut off", partial="".join(parts))
            piece, reason = _delta(chunk)
            finished = reason or finished
            if not piece:
                continue
            if n + len(piece) > req.max_chars:
                piece = piece[:req.max_chars - n]
                parts.append(piece)
                on_chunk(piece)
                return "".join(parts), req.char_cut()  # the rest is never read: closing drops it
            parts.append(piece)
            n += len(piece)
            on_chunk(piece)
    except LLMError:
        raise
    except Exception as exc:
        raise LLMError(_broke_off(exc, req.base_url, req.api_key, req.timeout_s, n), partial="".join(parts)) from None
    finally:
        _close(response)
    text = "".join(parts)
    if finished is None:
        raise LLMError(f"the connection to {where} broke off after {n} characters of the answer "
                       "(the stream ended before the model finished)", partial=text)
    return text, req.token_cut(finished)


def _delta(chunk: Any) -> tuple[Optional[str], Optional[str]]:
    """(text, finish reason) of one streamed chunk."""
    choices = getattr(chunk, "choices", None) or []
    if not choices:
        return None, None
    delta = getattr(choices[0], "delta", None)
    piece = getattr(delta, "content", None) if delta is not None else None
    return (piece if isinstance(piece, str) else None), getattr(choices[0], "finish_reason", None)


def _close(response: Any) -> None:
    close = getattr(response, "close", None)
    if close is not None:
        try:
            close()
        except Exception:
            pass
