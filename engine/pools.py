"""Where batch jobs run: processes on this machine, or tasks on an existing Ray cluster. Both run `work`
(`batch.run_job`, one input per job, or `segments.detect_segment`, one part of a long video per job) and share
one small interface: `start(tasks, settings, progress)`, then `results()` (callable again after an interruption,
for what is still running), `cancel()` and `close()`. A task has the `name` and `output` a failed job's
`batch.Result` is reported under."""

import logging
import multiprocessing
import os
import queue
import signal
import socket
import threading
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, CancelledError, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from engine import batch
from engine.errors import MissingModelError, UserError

ROOT = Path(__file__).resolve().parents[1]


def limit_threads(count: int) -> None:
    """Jobs side by side must not each start a thread per core. LiteRT's detector sizes its thread pool with
    os.cpu_count() when it is created, OpenCV (blur) has its own pool, and libraries loaded from here on
    (TensorFlow, should the Keras fallback load it) read the variables. The video encoder keeps its own thread
    count on purpose: x264's output depends on it, and a batch output must be, frame for frame, the file a
    single `anonymize` run writes."""
    import cv2

    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        os.environ[name] = str(count)
    os.cpu_count = lambda: count
    cv2.setNumThreads(count)


class _Throttled:
    """Progress crosses a process boundary, so a job sends each stage's start and end and otherwise at most
    a few reports a second, not one per frame."""

    def __init__(self, send, interval: float = 0.3):
        self.send, self.interval = send, interval
        self.stage: str | None = None
        self.last = 0.0

    def __call__(self, name: str, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage != self.stage or done >= total or now - self.last >= self.interval:
            self.stage, self.last = stage, now
            self.send((name, stage, done, total))


_worker: dict = {}


def _start_worker(work, settings, messages, cancel_event, threads: int) -> None:
    """Ctrl+C reaches the whole process group; the parent alone decides, and tells the jobs through
    `cancel_event`, so each stops at a frame boundary and removes its partial output."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_threads(threads)
    _worker.update(work=work, settings=settings, progress=_Throttled(messages.put), cancel_event=cancel_event)


def _work(task):
    return _worker["work"](task, _worker["settings"], _worker["progress"], _worker["cancel_event"])


class LocalPool:
    """Processes on this machine. Spawned, not forked: the parent already runs threads (progress, the queue
    feeder), and a forked copy of a thread's lock can deadlock.

    Jobs are handed out one per free worker, never queued ahead, so when a worker dies (out of memory, a crash
    in a decoder) the jobs that were running are exactly the pool's outstanding ones. The pool is restarted and
    those jobs are run again one at a time: the one that kills its worker alone is reported failed."""

    def __init__(self, workers: int, work=batch.run_job):
        self.workers, self.work = workers, work
        self._futures: dict = {}
        self._executor: ProcessPoolExecutor | None = None

    def start(self, tasks, settings, progress) -> None:
        context = multiprocessing.get_context("spawn")
        self._messages, self._cancel = context.Queue(), context.Event()
        threads = max(1, (os.cpu_count() or 1) // self.workers)
        self._new_pool = lambda: ProcessPoolExecutor(
            self.workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(self.work, settings, self._messages, self._cancel, threads),
        )
        self._waiting: deque[batch.Task] = deque(tasks)
        self._suspects: deque[batch.Task] = deque()
        self._relay = threading.Thread(target=self._forward, args=(progress,), name="batch-progress", daemon=True)
        self._relay.start()

    def _forward(self, progress) -> None:
        for message in iter(self._messages.get, None):
            if progress:
                progress(*message)

    def _fill(self) -> None:
        source, limit = (self._suspects, 1) if self._suspects else (self._waiting, self.workers)
        while source and len(self._futures) < limit and not self._cancel.is_set():
            if self._executor is None:
                self._executor = self._new_pool()
            task = source.popleft()
            self._futures[self._executor.submit(_work, task)] = task

    def results(self):
        self._fill()
        while self._futures:
            done, _ = wait(list(self._futures), return_when=FIRST_COMPLETED)
            broken = {f for f in done if not f.cancelled() and isinstance(f.exception(), BrokenProcessPool)}
            for future in done - broken:
                yield _outcome(self._futures.pop(future), future.result, (CancelledError,), "the worker failed")
            if broken:
                yield from self._restart()
            self._fill()

    def _restart(self):
        """After a worker died: every outstanding job is a suspect, unless it was the only one."""
        running = list(self._futures.values())
        self._futures.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        self._executor = None
        if len(running) == 1:
            yield batch.Result(
                file=running[0].name,
                output=running[0].output,
                status=batch.FAILED,
                error="the worker process died on this file (out of memory, or a crash in a decoder)",
            )
        else:
            self._suspects.extend(running)

    def cancel(self) -> None:
        self._cancel.set()

    def close(self) -> None:
        if self._executor:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        # A worker killed while it wrote a progress message leaves the queue's write lock taken: the end marker
        # may never arrive. Progress lost at the end is harmless; a batch that never exits is not.
        self._messages.cancel_join_thread()
        self._messages.put(None)
        self._relay.join(timeout=5)


def _outcome(task: batch.Task, get, cancelled: tuple, failure: str) -> batch.Result:
    """A job's result, or one that says what happened to it when it never returned one."""
    try:
        return get()
    except cancelled:
        return batch.Result(file=task.name, output=task.output, status=batch.CANCELLED)
    except Exception as exc:
        detail = str(exc).splitlines()[0] if str(exc) else ""
        return batch.Result(
            file=task.name, output=task.output, status=batch.FAILED, error=f"{failure} ({type(exc).__name__}: {detail})"
        )


def _ray():
    try:
        import ray
    except ImportError:
        raise MissingModelError("Ray, needed for --ray,", "ray") from None
    return ray


def _check_reachable(address: str) -> None:
    """Ray retries an address that does not answer for ever, printing a warning every few seconds; a plain
    connection to the same address tells the user at once."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not port.isdigit():
        return  # "auto" and the like: Ray finds the cluster itself
    try:
        socket.create_connection((host, int(port)), timeout=10).close()
    except OSError as exc:
        raise UserError(
            f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}); is `ray start --head` "
            "running there, and is this its address?"
        ) from None


def _ray_work(work, task, settings):
    """A Ray generator task: ("progress", report) as the job makes them, then ("result", what it returned).
    Yielding waits on nothing, whereas a task that waits on another (sending a report to a queue actor did) lends
    its CPU meanwhile, and Ray starts one more job on it: a node of two CPUs ran three at once. The job runs on a
    thread of its own, as a callback cannot yield; a cancel interrupts this thread and reaches the job through
    its cancel event, at its next frame."""
    limit_threads(1)
    reports: queue.SimpleQueue = queue.SimpleQueue()
    cancel = threading.Event()
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(("result", work(task, settings, _Throttled(reports.put), cancel)))
        except BaseException as exc:
            outcome.append(("error", exc))
        finally:
            reports.put(None)

    job = threading.Thread(target=run, name="limelight-job")
    job.start()
    try:
        for report in iter(reports.get, None):
            yield "progress", report
    finally:  # interrupted, the job stops at its next frame, as a local worker's; ended, it has nothing to stop
        cancel.set()
        job.join()
    kind, value = outcome[0]
    if kind == "error":
        raise value
    yield kind, value


class RayPool:
    """One task per input on an existing Ray cluster, each reserving one CPU; the cluster decides how many
    run at once. Inputs and the output folder must be at the same path on every node (shared storage); the
    nodes need LimeLight's requirements installed, and get this checkout's code from the driver.

    The connection outlives the pool, until this process ends (Ray disconnects at exit): a split batch makes
    two pools per video, and each new connection would be a new Ray job, whose workers start afresh on every
    node, import LimeLight and load its models again."""

    def __init__(self, address: str, work=batch.run_job):
        self.work = work
        self._ray = _ray()
        self._streams: dict = {}
        if self._ray.is_initialized():  # an earlier pool's connection (engine.segments.SplitVideos)
            return
        _check_reachable(address)
        code = [str(ROOT / package) for package in ("engine", "models", "common")]
        try:
            self._ray.init(
                address=address,
                logging_level=logging.WARNING,
                log_to_driver=False,
                runtime_env={"py_modules": code, "excludes": ["__pycache__"]},
            )
        except Exception as exc:
            raise UserError(f"cannot use the Ray cluster at {address} ({str(exc).splitlines()[0]})") from None

    def start(self, tasks, settings, progress) -> None:
        self._progress = progress
        remote = self._ray.remote(num_cpus=1, max_retries=0)(_ray_work)
        shared = self._ray.put(settings)
        self._streams = {remote.remote(self.work, task, shared): task for task in tasks}

    def results(self):
        cancelled = (self._ray.exceptions.TaskCancelledError,)
        while self._streams:
            ready, _ = self._ray.wait(list(self._streams), num_returns=1, timeout=0.3)
            for stream in ready:
                task = self._streams[stream]
                got = _outcome(task, lambda s=stream: self._ray.get(next(s)), cancelled, "the Ray task failed")
                if isinstance(got, batch.Result):  # what the task became when it did not return
                    del self._streams[stream]
                    yield got
                elif got[0] == "progress":
                    if self._progress:
                        self._progress(*got[1])
                else:
                    del self._streams[stream]
                    yield got[1]

    def cancel(self) -> None:
        for stream in self._streams:
            self._ray.cancel(stream)

    def close(self) -> None:
        self.cancel()
