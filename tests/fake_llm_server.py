"""A local OpenAI-compatible HTTP server for the report tests (stdlib only).

Each request to /v1/chat/completions takes the next action from `script` (then
`default`): a streamed reply (SSE), a plain JSON reply, an HTTP error status, a
hang, a malformed body, or a stream that breaks off. Every request is recorded.
"$AUTH" in a reply or error message becomes the bearer token the request carried
(a server that echoes the key). `chunked` streams with Transfer-Encoding: chunked,
as real servers do, so `break_after` drops the connection in the middle of a chunk.

    with FakeLLM([{"kind": "status", "status": 429}, {"kind": "stream", "text": "..."}]) as srv:
        ... base_url=srv.url ...
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional


class FakeLLM:
    def __init__(self, script: Optional[list[dict[str, Any]]] = None, default: Optional[dict[str, Any]] = None,
                 models: tuple[str, ...] = ("fake-model",)):
        self.script = list(script or [])
        self.default = default or {"kind": "stream", "text": "## Overview\n\nnothing"}
        self.models = models
        self.requests: list[dict[str, Any]] = []
        self.stop_event = threading.Event()
        self._lock = threading.Lock()
        srv = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # /v1/models
                srv._record(self, None)
                body = json.dumps({"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "me"}
                                                              for m in srv.models]}).encode()
                self._send(200, body, "application/json")

            def do_POST(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                try:
                    payload = json.loads(raw or b"{}")
                except ValueError:
                    payload = {}
                srv._record(self, payload)
                action = srv._next()
                kind = action["kind"]
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                if kind == "hang":
                    srv.stop_event.wait(action.get("seconds", 20))
                    return
                if kind == "status":
                    message = action.get("message", "boom").replace("$AUTH", token)
                    body = json.dumps({"error": {"message": message, "type": "server_error"}}).encode()
                    headers = {"retry-after-ms": "10"}
                    headers.update(action.get("headers", {}))
                    self._send(action["status"], body, "application/json", headers)
                    return
                if kind == "malformed":
                    self._send(200, action.get("body", b"this is not json {"), action.get("content_type", "application/json"))
                    return
                text = action.get("text", "").replace("$AUTH", token)
                model = payload.get("model", "fake-model")
                finish = action.get("finish", "stop")
                if kind == "json" or (kind == "stream" and not payload.get("stream")):
                    body = json.dumps({
                        "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": model,
                        "choices": [{"index": 0, "finish_reason": finish,
                                     "message": {"role": "assistant", "content": text}}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    }).encode()
                    self._send(200, body, "application/json")
                    return
                # streamed reply, optionally breaking off after `break_after` chunks
                size = action.get("chunk", 7)
                pieces = [text[i:i + size] for i in range(0, len(text), size)]
                self.chunked = bool(action.get("chunked"))
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                if self.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                else:
                    self.send_header("Connection", "close")
                self.end_headers()
                try:
                    for i, piece in enumerate(pieces):
                        if action.get("break_after") is not None and i >= action["break_after"]:
                            if self.chunked:  # a chunk's size, then less than that
                                self.wfile.write(b"400\r\ndata: {\"id\"")
                            self.wfile.flush()
                            self.connection.shutdown(socket.SHUT_RDWR)
                            self.close_connection = True
                            return
                        self._event({"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": model,
                                     "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
                        if action.get("delay"):
                            if srv.stop_event.wait(action["delay"]):
                                return
                    self._event({"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": model,
                                 "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
                    self._write(b"data: [DONE]\n\n")
                    if self.chunked:
                        self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except OSError:
                    pass
                self.close_connection = True

            def _write(self, data: bytes) -> None:
                if self.chunked:
                    data = b"%x\r\n" % len(data) + data + b"\r\n"
                self.wfile.write(data)

            def _event(self, obj: Any) -> None:
                self._write(b"data: " + json.dumps(obj).encode() + b"\n\n")
                self.wfile.flush()

            def _send(self, status: int, body: bytes, ctype: str, headers: Optional[dict[str, str]] = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _record(self, handler: BaseHTTPRequestHandler, payload: Any) -> None:
        with self._lock:
            self.requests.append({"method": handler.command, "path": handler.path,
                                  "headers": {k.lower(): v for k, v in handler.headers.items()}, "json": payload})

    def _next(self) -> dict[str, Any]:
        with self._lock:
            return self.script.pop(0) if self.script else self.default

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == "POST"]

    def __enter__(self) -> "FakeLLM":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop_event.set()
        self.server.shutdown()
        self.server.server_close()


def refused_url() -> str:
    """A local URL where nothing listens (connection refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/v1"
