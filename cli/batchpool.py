"""``orderdoctor batch --jobs N``: forked worker processes with bounded work in flight.

Share i goes to worker i mod N and results are taken back in the same order, so the output
is in input order whatever N is; each worker has at most ``in_flight`` shares at a time. The
workers inherit the parent's knowledge base (fork), ignore Ctrl-C and SIGTERM (the parent
handles them and kills the workers), and report their own failure instead of a traceback.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .batchinput import BatchInputError, Share

__all__ = ["Chunk", "WorkerFailed", "in_workers"]


@dataclass(frozen=True)
class Chunk:
    """Output lines for some consecutive records, and how many of them failed."""

    text: str
    records: int
    failed: int


#: What a worker does with a share (``batch.advise_chunk``, passed in: a test may replace it).
Advise = Callable[[Share], Chunk]


def _work(tasks: Any, results: Any, others: list[Any], advise: Advise) -> None:
    """A worker process: advise each share sent, in order, until told to stop or the parent is
    gone. Ctrl-C and SIGTERM are the parent's to handle (it kills the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    for connection in others:  # the parent's ends and the other workers' pipes
        connection.close()
    import queue

    waiting: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def receive() -> None:  # keeps the task pipe drained, so the parent never blocks sending
        while True:
            try:
                share = tasks.recv()
            except (EOFError, OSError):
                share = None
            waiting.put(share)
            if share is None:
                return

    threading.Thread(target=receive, daemon=True).start()
    try:
        while (share := waiting.get()) is not None:
            chunk = advise(share)
            results.send((chunk.text, chunk.records, chunk.failed))
    except (BrokenPipeError, EOFError):
        pass  # the parent is gone
    except BaseException as exc:  # noqa: BLE001 - reported by the parent, not as a traceback here
        with contextlib.suppress(OSError):
            results.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        os._exit(0)


class WorkerFailed(RuntimeError):
    """A worker process ended unexpectedly (orderdoctor's bug, or the system killed it)."""


def _too_many(jobs: int, exc: OSError) -> BatchInputError:
    return BatchInputError(f"--jobs {jobs}: cannot start that many worker processes: {exc.strerror}")


def _pipes(context: Any, jobs: int) -> tuple[list[Any], list[Any]]:
    """A (task, result) pair of one-way pipes per worker, and every end of them."""
    pipes: list[Any] = []
    ends: list[Any] = []
    try:
        for _ in range(jobs):
            pipes.append((context.Pipe(duplex=False), context.Pipe(duplex=False)))
            ends.extend(end for pair in pipes[-1] for end in pair)
    except OSError as exc:  # too many open files
        for end in ends:
            end.close()
        raise _too_many(jobs, exc) from None
    return pipes, ends


def _flush_standard_streams() -> None:
    for stream in (sys.stdout, sys.stderr):  # nothing buffered may be written twice by a child
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass


def _start(context: Any, pipes: list[Any], ends: list[Any], advise: Advise, workers: list[Any]) -> None:
    """Fork a worker per pipe pair (appended to ``workers`` as each starts), with Ctrl-C and
    SIGTERM blocked meanwhile so that none arrives in a half-made child."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        for (task_r, _), (_, result_w) in pipes:
            others = [end for end in ends if end is not task_r and end is not result_w]
            worker = context.Process(target=_work, args=(task_r, result_w, others, advise), daemon=True)
            try:
                worker.start()
            except OSError as exc:  # the system's limit on processes
                raise _too_many(len(pipes), exc) from None
            workers.append(worker)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    for (task_r, _), (_, result_w) in pipes:
        task_r.close()
        result_w.close()


def _exchange(shares: Iterable[Share], pipes: list[Any], workers: list[Any], limit: int) -> Iterator[Chunk]:
    """Send the shares round the workers, at most ``limit`` in flight, and take the chunks back
    in the same order; then tell the workers to stop and wait for them."""
    senders = [task_w for (_, task_w), _ in pipes]
    receivers = [result_r for _, (result_r, _) in pipes]
    in_flight: deque[int] = deque()
    turn = 0
    for share in shares:
        if len(in_flight) == limit:
            yield _receive(receivers, in_flight.popleft(), workers)
        senders[turn].send(share)
        in_flight.append(turn)
        turn = (turn + 1) % len(senders)
    while in_flight:
        yield _receive(receivers, in_flight.popleft(), workers)
    for sender in senders:
        sender.send(None)
    for worker in workers:
        worker.join()


def in_workers(shares: Iterable[Share], jobs: int, advise: Advise, in_flight: int) -> Iterator[Chunk]:
    """Chunks in input order from ``jobs`` forked workers, each with at most ``in_flight``
    shares: share i goes to worker i mod jobs, and results are taken back in the same order."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    pipes, ends = _pipes(context, jobs)
    workers: list[Any] = []
    _flush_standard_streams()
    # The forked workers share the parent's objects (the knowledge base) page by page until
    # written to; keep the garbage collector from touching (and so copying) them.
    gc.freeze()
    try:
        _start(context, pipes, ends, advise, workers)
        yield from _exchange(shares, pipes, workers, jobs * in_flight)
    finally:
        gc.unfreeze()
        for worker in workers:  # interrupted or failed: nothing they hold is wanted any more
            if worker.exitcode is None:
                worker.kill()
        for worker in workers:
            worker.join()
        for end in ends:
            end.close()


def _receive(receivers: list[Any], index: int, workers: list[Any]) -> Chunk:
    try:
        message = receivers[index].recv()
    except (EOFError, OSError):
        workers[index].join(timeout=1)
        status = workers[index].exitcode
        raise WorkerFailed(f"batch worker {index + 1} stopped unexpectedly (exit status {status})") from None
    if message[0] == "failed":
        raise WorkerFailed(f"batch worker {index + 1} failed: {message[1]}")
    return Chunk(*message)
