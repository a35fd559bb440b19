"""Requests racing each other in tests (PostgreSQL row locks for real): one way to start them together."""

import threading

from django.db import connections


def run_at_once(work, times: int) -> None:
    """Run ``work()`` in ``times`` threads that all start at the same moment (a barrier) and return when
    every one has finished. Each thread closes its own database connections at the end; what ``work``
    raises and does not catch itself ends its thread (pytest reports it as a thread exception)."""
    start = threading.Barrier(times)

    def run():
        try:
            start.wait()
            work()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
