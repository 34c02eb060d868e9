"""How python-telegram-bot's Bot reaches the Bot API: a `BaseRequest` on aiohttp.

python-telegram-bot's own HTTPXRequest costs several milliseconds of CPU a call (httpx
and httpcore choosing a pooled connection), several times our whole handling of a text
message, so a busy webhook spent most of its time there (docs/performance.md). aiohttp
(already here through twilio) does the same for a fraction: the library stays the one
that builds every call and reads every answer; only the HTTP under it changes."""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """Bot API calls over one aiohttp session with up to `connections` kept open."""

    def __init__(self, connections: int, timeout: float, read_timeout: float | None = None) -> None:
        self._connections = connections
        self._timeout = timeout
        self._read_timeout = read_timeout if read_timeout is not None else timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """Seconds to wait for an answer, unless a call says otherwise."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (on the loop that will use it)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, enable_cleanup_closed=True)
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False)

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make one call; the status and the body, as python-telegram-bot reads them."""
        await self.initialize()
        assert self._session is not None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=connect, sock_read=read, connect=connect
        )
        if request_data is not None and request_data.contains_files:
            raise NetworkError("Voicebox sends no files to Telegram")  # nothing here uploads
        data = request_data.json_parameters if request_data is not None else None
        try:
            async with self._session.request(
                method,
                url,
                data=data,
                timeout=timeout,
                headers={"User-Agent": self.USER_AGENT},
                allow_redirects=False,
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{error.__class__.__name__}") from error
