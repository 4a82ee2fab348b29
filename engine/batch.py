"""Batch: many videos and photos anonymised in one command, on this machine's cores or on a Ray cluster.

Each input is one job that runs the same steps as `anonymize` (analyse then export, or the still path), so a batch
output is the file a single run would write. A job reports a failure instead of raising it: one corrupt file must
never stop a night's batch. The summary is rewritten atomically after every job, so it is also the record a re-run
after a crash or a Ctrl+C resumes from."""

import csv
import functools
import hashlib
import io
import json
import logging
import os
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable, Iterable

from engine import analyze, atomic, export, identities, project, stills
from engine.errors import Cancelled, InputError, OutputError, UserError
from engine.job import Job
from engine.records import Action, DetectorSettings, ExportSettings, KnownFace, Project

VIDEO_SUFFIXES = {
    ".mp4",
    ".mov",
    ".m4v",
    ".mkv",
    ".avi",
    ".webm",
    ".mts",
    ".m2ts",
    ".ts",
    ".mpg",
    ".mpeg",
    ".wmv",
    ".flv",
    ".3gp",
    ".mxf",
    ".dv",
}
SUMMARY_NAME = "limelight-batch"
SOME_FAILED = 7
OK, SKIPPED, FAILED, CANCELLED = "ok", "skipped", "failed", "cancelled"
DONE = (OK, SKIPPED)
CSV_COLUMNS = ("file", "output", "frames", "faces", "tracks", "people_kept", "warnings", "seconds", "status", "error")
# What a job may want to say while it runs: (file, stage, done, total).
Progress = Callable[[str, str, int, int], None]
# How one video is anonymised in a job: whole by default (`whole_video`), or split (engine.segments.SplitVideos).
Videos = Callable[["Task", "Settings", Job], Project]


@dataclass(frozen=True)
class Task:
    """One input and where its output goes; `name` is the input relative to the inputs' common folder, the way
    the progress lines and the summary show it. `size` (bytes) weighs the file in the overall progress: the
    parent never opens an input, so a file that crashes a decoder takes down one worker, not the batch."""

    name: str
    source: str
    output: str
    size: int


@dataclass
class Settings:
    detector: DetectorSettings
    export: ExportSettings
    known: list[KnownFace] = field(default_factory=list)

    def key(self) -> str:
        """What decides the output besides the source: detection and export settings and the known faces'
        embeddings (not their paths, so a renamed folder of the same photos still matches)."""
        digest = hashlib.sha256(json.dumps([asdict(self.detector), asdict(self.export)], sort_keys=True).encode())
        for face in self.known:
            digest.update(face.name.encode())
            for vector in face.embeddings:
                digest.update(vector.astype("<f8").tobytes())
        return digest.hexdigest()[:24]


@dataclass
class Result:
    file: str
    output: str
    status: str
    frames: int = 0
    faces: int = 0
    tracks: int = 0
    people_kept: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""
    fingerprint: str = ""
    settings: str = ""
    output_size: int = 0


def plan(inputs: Iterable[str | os.PathLike], out_dir: str | os.PathLike) -> list[Task]:
    """One task per video or photo: files as given, folders searched recursively for known video and photo
    types. Outputs mirror the inputs' tree below their common folder; videos become .mp4, photos keep their
    type. Hidden files (our own partial outputs among them) and anything inside `out_dir` are left out."""
    out_dir = Path(out_dir).resolve()
    sources: list[Path] = []
    roots: list[Path] = []
    for given in map(Path, inputs):
        path = given.resolve()
        if path.is_dir():
            roots.append(path)
            sources.extend(sorted(p for p in path.rglob("*") if p.is_file() and _wanted(p, path, out_dir)))
        elif path.is_file():
            roots.append(path.parent)
            sources.append(path)
        else:
            raise InputError(f"{given}: no such file or folder")
    sources = list(dict.fromkeys(sources))
    if not sources:
        raise InputError(
            "no videos or photos found in the inputs (video: "
            f"{', '.join(sorted(VIDEO_SUFFIXES))}; photo: {', '.join(sorted(stills.SUFFIXES))})"
        )
    base = Path(os.path.commonpath(roots))
    names = [p.relative_to(base) for p in sources]
    outputs = [n if stills.is_image(n) else n.with_suffix(".mp4") for n in names]
    taken = {o: outputs.count(o) for o in outputs}
    # clip.mov beside clip.mp4 would both become clip.mp4: those keep their whole name, clip.mov.mp4.
    outputs = [o if taken[o] == 1 or n == o else n.with_name(n.name + ".mp4") for n, o in zip(names, outputs)]
    return [
        Task(name=str(n), source=str(s), output=str(out_dir / o), size=s.stat().st_size)
        for n, s, o in zip(names, sources, outputs)
    ]


def _wanted(path: Path, root: Path, out_dir: Path) -> bool:
    relative = path.relative_to(root)
    return (
        path.suffix.lower() in VIDEO_SUFFIXES | stills.SUFFIXES
        and not any(part.startswith(".") for part in relative.parts)
        and out_dir not in path.parents
    )


def run_job(
    task: Task, settings: Settings, progress: Progress | None = None, cancel_event=None, videos: Videos | None = None
) -> Result:
    """Anonymise one input exactly as `anonymize` does (`videos` may do a video another way, e.g. in segments);
    any failure becomes the result's error."""
    started = time.perf_counter()
    result = Result(file=task.name, output=task.output, status=FAILED, settings=settings.key())
    said: list[str] = []
    job = Job(
        on_progress=lambda stage, done, total: progress and progress(task.name, stage, done, total),
        on_warning=said.append,
    )
    if cancel_event is not None:
        job.cancel_event = cancel_event
    with _CollectedWarnings() as collected:
        try:
            result.fingerprint = project.fingerprint(task.source)
            output = Path(task.output)
            try:
                output.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OutputError(f"{output.parent}: cannot create the folder ({exc.strerror})") from None
            export.check_output(output, task.source)
            _anonymize(task, settings, job, result, videos or whole_video)
            result.status, result.output_size = OK, output.stat().st_size
        except (Cancelled, KeyboardInterrupt):
            result.status = CANCELLED
        except UserError as exc:
            result.error = str(exc).removeprefix(f"{task.source}: ")
        except OSError as exc:  # the input vanished or became unreadable after planning
            result.error = f"cannot read it ({exc.strerror})"
        except Exception as exc:  # a bug met on one file must not stop the others; the message names it
            result.error = f"internal error: {type(exc).__name__}: {exc}"
    result.warnings = said + collected.messages
    result.seconds = round(time.perf_counter() - started, 2)
    return result


def whole_video(task: Task, settings: Settings, job: Job) -> Project:
    proj = analyze.analyze(task.source, settings.detector, settings.known, job, recognise=False)
    proj.export = settings.export
    export.export(proj, task.output, job)
    return proj


def _anonymize(task: Task, settings: Settings, job: Job, result: Result, videos: Videos) -> None:
    if stills.is_image(task.source):
        result.frames = 1
        result.faces = result.tracks = export.anonymize_image(
            task.source, task.output, settings.detector, settings.export, settings.known
        )
        return
    proj = videos(task, settings, job)
    result.frames = proj.source.frame_count
    result.faces = sum(1 for track in proj.tracks for score in track.scores if score > 0)
    result.tracks = len(proj.tracks)
    result.people_kept = [i.name or f"#{i.id}" for i in proj.identities if i.decision == Action.KEEP]


class _CollectedWarnings(logging.Handler):
    """Warnings raised while one job runs (logging or `warnings`), kept for that file's summary row."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self):
        logging.getLogger().addHandler(self)
        self._caught = warnings.catch_warnings(record=True)
        self._records = self._caught.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc) -> None:
        self._caught.__exit__(*exc)
        logging.getLogger().removeHandler(self)
        self.messages += [str(w.message) for w in self._records]


class Summary:
    """The batch's record beside its outputs, as JSON (complete, what a re-run reads) and CSV (for a
    spreadsheet). Both are replaced atomically after every job, so a crash leaves the last whole version."""

    def __init__(self, out_dir: str | os.PathLike, settings: Settings):
        self.json_path = Path(out_dir) / f"{SUMMARY_NAME}.json"
        self.csv_path = Path(out_dir) / f"{SUMMARY_NAME}.csv"
        self.settings = settings
        self.previous = self._read_previous()
        self.results: dict[str, Result] = {}

    def _read_previous(self) -> dict[str, Result]:
        try:
            rows = json.loads(self.json_path.read_text(encoding="utf-8"))["files"]
            names = {f.name for f in fields(Result)}
            return {row["output"]: Result(**{k: v for k, v in row.items() if k in names}) for row in rows}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logging.getLogger(__name__).warning("%s is unreadable (%s); every file is done again", self.json_path, exc)
            return {}

    def done_before(self, task: Task) -> Result | None:
        """The previous result if it still holds: same source (fingerprint), same settings, and the output it
        wrote is still there, unchanged in size."""
        before = self.previous.get(task.output)
        if before is None or before.status not in DONE or before.settings != self.settings.key():
            return None
        output = Path(task.output)
        try:
            if not output.is_file() or output.stat().st_size != before.output_size:
                return None
            if project.fingerprint(task.source) != before.fingerprint:
                return None
        except OSError:
            return None
        return Result(**{**asdict(before), "file": task.name, "status": SKIPPED})

    def add(self, result: Result) -> None:
        self.results[result.output] = result
        self.write()

    def counts(self) -> dict[str, int]:
        statuses = [r.status for r in self.results.values()]
        return {status: statuses.count(status) for status in (OK, SKIPPED, FAILED, CANCELLED)}

    def write(self) -> None:
        rows = sorted((asdict(r) for r in self.results.values()), key=lambda row: row["file"])
        document = {
            "limelight_batch": 1,
            "settings": {
                "detector": asdict(self.settings.detector),
                "export": asdict(self.settings.export),
                "known_faces": [k.name for k in self.settings.known],
            },
            "counts": self.counts(),
            "files": rows,
        }
        table = io.StringIO()
        writer = csv.DictWriter(table, CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {**row, "people_kept": "; ".join(row["people_kept"]), "warnings": " | ".join(row["warnings"])}
            )
        atomic.write_bytes(self.json_path, json.dumps(document, indent=1).encode(), "write the batch summary")
        atomic.write_bytes(self.csv_path, table.getvalue().encode(), "write the batch summary")


def prepare_output(out_dir: str | os.PathLike) -> Path:
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: is a file; give a folder for the outputs")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot write here ({exc.strerror})") from None
    reason = atomic.cannot_write(out_dir)
    if reason:
        raise OutputError(f"{out_dir}: cannot write here ({reason})")
    return out_dir


def run(
    tasks: list[Task],
    settings: Settings,
    summary: Summary,
    backend,
    progress: Progress | None = None,
    on_result: Callable[[Result], None] | None = None,
) -> dict[str, int]:
    """Skip what an earlier run finished, run the rest on `backend` (engine.pools), record every result as it
    arrives. Ctrl+C cancels the running jobs (each removes its partial output), records them and re-raises."""
    todo = []
    for task in tasks:
        before = summary.done_before(task)
        if before:
            summary.add(before)
            on_result and on_result(before)
        else:
            todo.append(task)
    backend.start(todo, settings, progress)
    try:
        for result in backend.results():
            summary.add(result)
            on_result and on_result(result)
    except KeyboardInterrupt:
        backend.cancel()
        _wind_down(backend, summary, on_result)
        for task in todo:
            if task.output not in summary.results:
                summary.add(Result(file=task.name, output=task.output, status=CANCELLED))
        raise
    finally:
        backend.close()
    return summary.counts()


def _wind_down(backend, summary: Summary, on_result) -> None:
    """Collect the cancelled jobs' results; a second Ctrl+C does not cut this short, which lasts about a
    frame per running job."""
    while True:
        try:
            for result in backend.results():
                summary.add(result)
                on_result and on_result(result)
            return
        except KeyboardInterrupt:
            continue


def default_workers(tasks: int) -> int:
    """One worker per core, fewer if available memory would not hold them at 1 GiB each (a 1080p job peaks
    under 500 MB, see tools.bench; 4K needs more), never more than there are jobs."""
    cores = os.cpu_count() or 1
    memory = _available_memory()
    by_memory = max(1, memory // (1 << 30)) if memory else cores
    return max(1, min(cores, by_memory, tasks))


def _available_memory() -> int | None:
    """Linux's MemAvailable counts the page cache a job can reclaim; 'free' pages alone would not."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def command(args, detector: DetectorSettings, export_settings: ExportSettings) -> int:
    """`limelight batch`: exit 0 when every file is done, SOME_FAILED when any failed (the others are still
    done), 130 on Ctrl+C (finished outputs stay; a re-run does the rest)."""
    from engine import pools, segments
    from engine.batch_view import BatchView

    if args.workers is not None and args.workers < 1:
        raise UserError("--workers must be 1 or more")
    if args.ray and args.workers:
        raise UserError("--workers sizes this machine's pool; with --ray the cluster's CPUs decide")
    if args.split is not None and args.split < 2:
        raise UserError("--split must be 2 or more")
    tasks = plan(args.inputs, args.output)
    out_dir = prepare_output(args.output)
    settings = Settings(
        detector, export_settings, identities.load_known_faces(args.known_faces) if args.known_faces else []
    )
    new_pool: Callable[..., pools.LocalPool | pools.RayPool]
    if args.ray:
        new_pool, where = functools.partial(pools.RayPool, args.ray), f"on the Ray cluster at {args.ray}"
    else:
        workers = args.workers or default_workers(args.split or len(tasks))
        new_pool, where = functools.partial(pools.LocalPool, workers), f"{workers} at a time on this machine"
    backend = segments.SplitVideos(new_pool, args.split) if args.split else new_pool()
    if args.split:
        where += f", each video in {args.split} segments"
    summary = Summary(out_dir, settings)
    view = BatchView(tasks, where)
    try:
        counts = run(tasks, settings, summary, backend, view.progress, view.result)
    except KeyboardInterrupt:
        view.close()
        finished = summary.counts()
        print(
            f"limelight: cancelled; {finished[OK] + finished[SKIPPED]} finished outputs kept, no partial ones; "
            f"run the same command again to do the rest",
            file=sys.stderr,
        )
        return 130
    view.close()
    print(
        f"batch: {len(tasks)} files: {counts[OK]} done, {counts[SKIPPED]} skipped (done earlier), "
        f"{counts[FAILED]} failed; summary: {summary.json_path} and {summary.csv_path.name}"
    )
    if counts[FAILED]:
        print(
            f"limelight: error: {counts[FAILED]} of {len(tasks)} files failed (listed above and in {summary.csv_path})",
            file=sys.stderr,
        )
        return SOME_FAILED
    return 0
