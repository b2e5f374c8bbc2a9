"""One way to get a Dask distributed client: a given Client, a scheduler address, or a LocalCluster of
one single-threaded process per core (used by the scenario sweep and by the portfolio's parts)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["dask_client"]


@contextmanager
def dask_client(client: Any = None, n_workers: int | None = None, todo: int = 1) -> Iterator[Any]:
    """A ``distributed.Client`` for the ``with`` block; what it started is closed after it.

    ``client``: a Client (used as it is), a scheduler address (``tcp://host:8786``), or None for a
    LocalCluster of ``n_workers`` processes with one thread each (default: one per core, at most ``todo``).
    """
    from distributed import Client, LocalCluster

    owned: list = []
    if client is None:
        workers = n_workers or max(1, min(os.cpu_count() or 1, todo))
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        )  # any free port
        client = Client(cluster)
        owned = [client, cluster]
    elif isinstance(client, str):
        client = Client(client)
        owned = [client]
    try:
        yield client
    finally:
        for thing in owned:
            thing.close()
