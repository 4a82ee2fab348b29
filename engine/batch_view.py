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
        self._frames = {t.name: max(1, t.frames) for t in tasks}
        self._lock = threading.Lock()
        self._bars: dict[str, tqdm] = {}
        tqdm.write(f"{len(tasks)} file{'s' * (len(tasks) != 1)} to anonymise, {where}")
        self._overall = tqdm(total=sum(self._frames.values()), desc="Batch", unit="frame", dynamic_ncols=True,
                             disable=None, position=0)

    def progress(self, name: str, stage: str, done: int, total: int) -> None:
        start, share = STAGES.get(stage, (0.0, 0.0))
        frames = self._frames.get(name, 1)
        with self._lock:
            bar = self._bars.get(name)
            if bar is None:
                bar = self._bars[name] = tqdm(total=frames, unit="frame", leave=False, dynamic_ncols=True,
                                              disable=None)
            bar.set_description_str(f"{name}: {stage.lower()}", refresh=False)
            reached = int(frames * (start + share * done / max(total, 1)))
            if reached > bar.n:
                self._overall.update(reached - bar.n)
                bar.update(reached - bar.n)

    def result(self, result: batch.Result) -> None:
        with self._lock:
            bar = self._bars.pop(result.file, None)
            counted = bar.n if bar else 0
            if bar:
                bar.close()
            self._overall.update(self._frames.get(result.file, 1) - counted)
            self._overall.write(describe(result))

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
    return (f"{result.status:<9} {result.file}: {result.frames} frame{'s' * (result.frames != 1)}, "
            f"{result.tracks} face track{'s' * (result.tracks != 1)}{kept} ({when}){warned}")
