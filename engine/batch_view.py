"""What a batch shows in a terminal: one bar for the whole batch with its time left, one bar per file being
worked on, and a line per finished file. Progress arrives from a relay thread while results arrive on the
main thread, hence the lock."""

import threading

from tqdm import tqdm

from engine import batch

# Where each stage of a video job lies within that job, as (start, share): detection dominates.
STAGES = {"Detecting faces": (0.0, 0.6), "Recognising people": (0.6, 0.1), "Exporting": (0.7, 0.3)}


class BatchView:
    def __init__(self, tasks: list[batch.Task], where: str):
        self._sizes = {t.name: max(1, t.size) for t in tasks}
        self._lock = threading.Lock()
        self._bars: dict[str, tqdm] = {}
        self._finished, self._count = 0, len(tasks)
        tqdm.write(f"{len(tasks)} file{'s' * (len(tasks) != 1)} to anonymise, {where}")
        self._overall = tqdm(
            total=sum(self._sizes.values()),
            desc=self._done_text(),
            dynamic_ncols=True,
            disable=None,
            position=0,
            bar_format="{desc} {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]",
        )
        self._reached: dict[str, int] = {}

    def progress(self, name: str, stage: str, done: int, total: int) -> None:
        """Each file weighs its size in the overall bar (a proxy for its work that needs no decoding: fair
        among videos, generous to photos); within a file the stages weigh as in STAGES."""
        start, share = STAGES.get(stage, (0.0, 0.0))
        fraction = start + share * done / max(total, 1)
        with self._lock:
            bar = self._bars.get(name)
            if bar is None:
                bar = self._bars[name] = tqdm(
                    total=100,
                    leave=False,
                    dynamic_ncols=True,
                    disable=None,
                    bar_format="{desc} {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]",
                )
            bar.set_description_str(f"{name}: {stage.lower()}", refresh=False)
            if int(100 * fraction) > bar.n:
                bar.update(int(100 * fraction) - bar.n)
            reached = int(self._sizes.get(name, 1) * fraction)
            if reached > self._reached.get(name, 0):
                self._overall.update(reached - self._reached.get(name, 0))
                self._reached[name] = reached

    def result(self, result: batch.Result) -> None:
        with self._lock:
            bar = self._bars.pop(result.file, None)
            if bar:
                bar.close()
            self._finished += 1
            self._overall.set_description_str(self._done_text(), refresh=False)
            self._overall.update(self._sizes.get(result.file, 1) - self._reached.pop(result.file, 0))
            self._overall.write(describe(result))

    def _done_text(self) -> str:
        return f"Batch, {self._finished}/{self._count} files done"

    def close(self) -> None:
        with self._lock:
            for bar in self._bars.values():
                bar.close()
            self._overall.close()


def describe(result: batch.Result) -> str:
    if result.status == batch.FAILED:
        return f"failed    {result.file}: {result.error}"
    if result.status == batch.CANCELLED:
        return f"cancelled {result.file}"
    kept = f", kept: {', '.join(result.people_kept)}" if result.people_kept else ""
    warned = f"; warnings: {' | '.join(result.warnings)}" if result.warnings else ""
    when = "done earlier" if result.status == batch.SKIPPED else f"{result.seconds:.1f} s"
    return (
        f"{result.status:<9} {result.file}: {result.frames} frame{'s' * (result.frames != 1)}, "
        f"{result.tracks} face track{'s' * (result.tracks != 1)}{kept} ({when}){warned}"
    )
