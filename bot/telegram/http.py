"""The bot's HTTP client for the Bot API: python-telegram-bot's ``BaseRequest`` on aiohttp.

PTB's default backend is httpx. Under load, httpx (with httpcore and anyio under it) spends about as much
CPU on a ``sendMessage`` as the bot spends on storing the reply: its connection pool walks every open
connection for each request. aiohttp, which the bot already uses for webhooks, does the same request for
about half the CPU. This class only moves bytes; PTB still builds every request and maps every status code
(400, 403, 429 with ``retry_after``) to its exceptions, exactly as with httpx.
"""

from __future__ import annotations

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """Send Bot API requests with one ``aiohttp.ClientSession`` and a bounded pool of keep-alive connections.

    Timeouts mean what they mean for PTB's own backend: ``connect`` to open a connection, ``read`` to wait
    for the answer, ``pool`` to wait for a free connection; ``write`` bounds sending the request body.
    """

    def __init__(self, *, connection_pool_size: int = 8, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout, in seconds."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (inside the running event loop, as aiohttp requires)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
            # trust_env: honour HTTPS_PROXY / NO_PROXY as PTB's httpx backend does (hospital and university networks)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT},
                                                  trust_env=True)

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; return the status code and the body."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write = self._media_write_timeout if files else self._write_timeout
        else:
            write = write_timeout
        # aiohttp's "connect" covers waiting for a pooled connection and opening one
        timeout = aiohttp.ClientTimeout(
            total=None if read is None or write is None else read + write + (connect or 0) + (pool or 0),
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect, sock_read=read,
        )
        data: aiohttp.FormData | dict[str, str] | None = None
        if request_data is not None:
            data = request_data.json_parameters
            if files:
                form = aiohttp.FormData(data)
                for name, (filename, content, mime) in files.items():
                    form.add_field(name, content, filename=filename, content_type=mime)
                data = form
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as resp:
                return resp.status, await resp.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc
