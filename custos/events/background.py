"""A background loop of a server process: one asyncio task on the running loop, and one executor thread
for its database work (so it holds one connection, closed when the loop stops). The event relay poller
and the Socket.IO ticker are both built on it."""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connections


class BackgroundLoop:
    thread_name = "custos-background"

    def __init__(self) -> None:
        self.task: asyncio.Task | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.thread_name)

    async def _call(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    def running(self) -> bool:
        """Whether the loop's task is alive on the current event loop (a test's new loop starts a new task)."""
        if self.task is None or self.task.done():
            return False
        try:
            return self.task.get_loop() is asyncio.get_running_loop()
        except RuntimeError:
            return False

    async def _run(self) -> None:
        raise NotImplementedError

    def _start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
            self.task = None
        await self._call(connections.close_all)
