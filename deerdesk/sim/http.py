"""A small HTTP/1.1 server on asyncio streams and h11, with the control a fault injector needs.

Frameworks answer every failure with a proper 500; a simulator must also be able to drop a
connection without a word or cut a body short, so the wire is handled here directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

import h11

log = logging.getLogger(__name__)
MAX_BODY = 1 << 20


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # decoded
    raw_path: str  # as sent, for segment-wise decoding
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    base_url: str  # scheme://host:port the client used


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    #: seconds to wait before answering
    delay: float = 0.0
    #: close the connection without any answer
    drop: bool = False
    #: send the full Content-Length header but only this many body bytes, then close
    truncate_to: int | None = None


Handler = Callable[[Request], Awaitable[Reply]]


class HttpServer:
    """Serves `handler` on host:port; `port=0` picks a free port (read `port` after start)."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0) -> None:
        self._handler = handler
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._connections.values()):
            writer.transport.abort()  # idle keep-alive connections end at once
        if self._connections:
            _, busy = await asyncio.wait(list(self._connections), timeout=1.0)
            for task in busy:
                task.cancel()
            if busy:
                await asyncio.wait(busy, timeout=1.0)
        if self._server is not None:
            # every connection is gone by now, so this returns at once (no wait_for: under
            # qasync a timed-out wait_for left the coroutine never awaited)
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            await self._connection(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, h11.ProtocolError):
            pass
        except asyncio.CancelledError:
            # the top of a connection's task, cancelled only by aclose(): end quietly, since
            # asyncio's stream callback would otherwise report the cancellation as an error
            pass
        finally:
            self._connections.pop(task, None)
            writer.transport.abort()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER)

        async def next_event() -> h11.Event | type[h11.NEED_DATA] | type[h11.PAUSED]:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    data = await reader.read(65536)
                    conn.receive_data(data)
                    continue
                return event

        while True:
            event = await next_event()
            if isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                return
            if not isinstance(event, h11.Request):
                return
            body = bytearray()
            while True:
                part = await next_event()
                if isinstance(part, h11.Data):
                    body += part.data
                    if len(body) > MAX_BODY:
                        return
                elif isinstance(part, h11.EndOfMessage):
                    break
                else:
                    return
            request = _to_request(event, bytes(body), self.url)
            reply = await self._handler(request)
            if reply.delay:
                await asyncio.sleep(reply.delay)
            if reply.drop:
                return
            headers = [
                ("content-type", reply.content_type),
                ("content-length", str(len(reply.body))),
                *reply.headers.items(),
            ]
            writer.write(conn.send(h11.Response(status_code=reply.status, headers=headers)))
            if reply.truncate_to is not None:
                writer.write(conn.send(h11.Data(data=reply.body[: reply.truncate_to])))
                await writer.drain()
                return
            if request.method != "HEAD" and reply.body:
                writer.write(conn.send(h11.Data(data=reply.body)))
            writer.write(conn.send(h11.EndOfMessage()))
            await writer.drain()
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                return
            conn.start_next_cycle()


def _to_request(event: h11.Request, body: bytes, base_url: str) -> Request:
    target = event.target.decode("latin-1")
    parts = urlsplit(target)
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in event.headers}
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    host = headers.get("host")
    return Request(
        method=event.method.decode("ascii"),
        path=unquote(parts.path),
        raw_path=parts.path,
        query=query,
        headers=headers,
        body=body,
        base_url=f"http://{host}" if host else base_url,
    )
