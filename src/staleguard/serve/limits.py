"""Request limits, as plain ASGI middleware in front of the routes: body size (413) and time per
request (503), each answered with one line, {"message": ...}.

Rows per request are the schemas' limit (422, serve.max_rows). The size is checked on the declared
`Content-Length` before anything is read, and counted while reading a chunked body. The time limit
is a timer, not a cancellation: work running in a thread cannot be interrupted, so at the deadline
the client gets its 503 at once and whatever the route would still send is dropped. The cost on a
request that stays within both limits is one header scan and one timer (a few microseconds).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


CLOSE = [(b"connection", b"close")]


class Answered(Exception):
    """The client already has its answer (413 or 503); the route's own is dropped."""


async def respond(send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None
                  ) -> None:
    """A JSON error in the shape of the app's others: {"message": "<one line>"}."""
    body = orjson.dumps({"message": message})
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class Limits:
    """413 for a body over `max_body` bytes, 503 for a request not answered within `timeout` s."""

    def __init__(self, app: ASGIApp, max_body: int, timeout: float) -> None:
        self.app, self.max_body, self.timeout = app, max_body, timeout
        self.replies: set[asyncio.Task[None]] = set()  # 503s being sent (a task needs a reference)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = int(value) if value.isdigit() else None
                break
        if length is not None and length > self.max_body:
            await respond(send, 413, self._too_large(f"{length} bytes"), CLOSE)
            return
        state = [False, False]  # [the route started its answer, a 413/503 went out instead]

        async def send_route(message: Message) -> None:
            if not state[1]:  # after our 413/503, what the route sends is dropped
                state[0] = True
                await send(message)

        if length is None and scope["method"] in ("POST", "PUT", "PATCH"):
            receive = self._counting(receive, send, state)
        timer = asyncio.get_running_loop().call_later(self.timeout, self._late, send, state)
        try:
            await self.app(scope, receive, send_route)
        except Answered:
            pass
        finally:
            timer.cancel()

    def _late(self, send: Send, state: list[bool]) -> None:
        if not any(state):
            state[1] = True
            reply = asyncio.ensure_future(respond(
                send, 503, f"no answer within {self.timeout:g} s (serve.timeout); try again later"))
            self.replies.add(reply)
            reply.add_done_callback(self.replies.discard)

    def _counting(self, receive: Receive, send: Send, state: list[bool]) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body:
                if not any(state):
                    state[1] = True
                    await respond(send, 413, self._too_large("a chunked body"), CLOSE)
                raise Answered
            return message

        return counted

    def _too_large(self, what: str) -> str:
        return f"request body too large: {what}, at most {self.max_body} (serve.max_body_bytes)"
