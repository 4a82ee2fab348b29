"""`limelight batch` on a folder of good and bad files: every good file comes out exactly as a single
`anonymize` run makes it, bad ones are reported without stopping the rest, a re-run does only what is left, and the
same batch runs on a Ray cluster started here (on 127.0.0.1 only), followed on the same connection by an analysis
in segments."""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from engine import audit, batch, outfile, pools, project, stills, video
from engine.records import Action, DetectorSettings, ExportSettings
from tests.helpers import CLIP, PERFORMER, PIANIST, ROOT, cli, free_port, images, times

GOOD = ("day1/clip.mp4", "day1/stills/pianist.png", "day2/closeup.mov")
BAD = ("day2/broken.mp4", "day2/notes.mp4")
OUTPUTS = {
    "day1/clip.mp4": "day1/clip.mp4",
    "day1/stills/pianist.png": "day1/stills/pianist.png",
    "day2/closeup.mov": "day2/closeup.mp4",
}


def excerpt(target: Path, start: int, count: int, audio: bool) -> Path:
    """Frames [start, start + count) of the clip, re-encoded, timestamps kept, with the audio demuxed so far."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with video.VideoWriter(CLIP, target, keep_audio=audio) as writer:
        for frame in video.read_frames(CLIP, packet_sink=writer.copy if audio else None):
            if frame.index >= start + count:
                break
            if frame.index >= start:
                writer.write(frame)
    return target


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    excerpt(folder / "day1/clip.mp4", 0, 30, audio=True)
    excerpt(folder / "day2/closeup.mov", 120, 30, audio=False)  # the performer, close up
    (folder / "day1/stills").mkdir()
    shutil.copy(PIANIST, folder / "day1/stills/pianist.png")  # small: a still gets a second look at twice its size
    (folder / "day2/broken.mp4").write_bytes(CLIP.read_bytes()[:40000])
    (folder / "day2/notes.mp4").write_text("this is not a video\n" * 100)
    (folder / "day2/readme.txt").write_text("not an input")
    return folder


@pytest.fixture(scope="module")
def local_batch(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "out"
    done = cli("batch", inputs, "-o", out, "--known-faces", PERFORMER)
    return out, done


def summary(out: Path) -> dict[str, dict]:
    return {row["file"]: row for row in json.loads((out / "limelight-batch.json").read_text())["files"]}


# Every video export writes its audit report beside it (engine/audit.py); a still has none.
AUDITS = [str(audit.report_path(o)) for o in OUTPUTS.values() if not stills.is_image(o)]


def same_frames(a: Path, b: Path) -> None:
    assert times(a) == times(b)
    assert all(np.array_equal(x, y) for x, y in zip(images(a), images(b), strict=True))


def check_batch(out: Path, done) -> None:
    assert done.returncode == batch.SOME_FAILED, done.stderr
    assert "2 of 5 files failed" in done.stderr and "Traceback" not in done.stderr + done.stdout
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == sorted(
        [*OUTPUTS.values(), *AUDITS, "limelight-batch.csv", "limelight-batch.json"]
    )
    rows = summary(out)
    assert {name: rows[name]["status"] for name in GOOD + BAD} == {
        **dict.fromkeys(GOOD, "ok"),
        **dict.fromkeys(BAD, "failed"),
    }
    assert "not a readable video" in rows["day2/notes.mp4"]["error"]
    assert rows["day1/clip.mp4"]["frames"] == 30 and rows["day1/clip.mp4"]["tracks"] > 0
    assert rows["day2/closeup.mov"]["people_kept"] == ["lin-manuel-miranda"]
    assert rows["day1/stills/pianist.png"]["faces"] == 1
    with open(out / "limelight-batch.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert [r["file"] for r in table] == sorted(GOOD + BAD)
    assert {"frames", "faces", "tracks", "people_kept", "warnings", "seconds", "status"} <= set(table[0])


def test_mixed_batch_runs_to_completion(local_batch):
    check_batch(*local_batch)


def test_outputs_are_the_files_single_runs_write(limelight, local_batch, inputs, tmp_path):
    out, _ = local_batch
    for name in ("day2/closeup.mov", "day1/stills/pianist.png"):
        single = tmp_path / Path(OUTPUTS[name]).name
        done = limelight("anonymize", inputs / name, "-o", single, "--known-faces", PERFORMER)
        assert done.returncode == 0, done.stderr
        if stills.is_image(name):
            assert np.array_equal(stills.read_image(single), stills.read_image(out / OUTPUTS[name]))
        else:
            same_frames(single, out / OUTPUTS[name])
            assert len(images(single)) == 30
    assert times(out / OUTPUTS["day1/clip.mp4"]) == times(inputs / "day1/clip.mp4")


def test_rerun_does_only_what_is_left(local_batch, inputs):
    out, _ = local_batch
    mtimes = {name: (out / path).stat().st_mtime_ns for name, path in OUTPUTS.items()}
    redo = out / OUTPUTS["day1/clip.mp4"]
    kept = redo.read_bytes()
    redo.unlink()
    (redo.parent / f".{redo.name}.partial.mp4").write_bytes(b"left by a crash")
    done = cli("batch", inputs, "-o", out, "--known-faces", PERFORMER)
    assert done.returncode == batch.SOME_FAILED, done.stderr
    rows = summary(out)
    assert rows["day1/clip.mp4"]["status"] == "ok"
    assert [rows[n]["status"] for n in ("day1/stills/pianist.png", "day2/closeup.mov")] == ["skipped"] * 2
    assert [(out / OUTPUTS[n]).stat().st_mtime_ns == mtimes[n] for n in OUTPUTS] == [False, True, True]
    assert redo.read_bytes() == kept


def test_a_changed_source_or_setting_is_done_again(tmp_path):
    source, output = tmp_path / "in.jpg", tmp_path / "out/in.jpg"
    source.write_bytes(b"a photo")
    output.parent.mkdir()
    output.write_bytes(b"its output")
    task = batch.Task("in.jpg", str(source), str(output), 1)
    settings = batch.Settings(DetectorSettings(), ExportSettings())
    record = batch.Summary(output.parent, settings)
    record.add(
        batch.Result(
            "in.jpg",
            str(output),
            batch.OK,
            fingerprint=project.fingerprint(source),
            settings=settings.key(),
            output_size=output.stat().st_size,
        )
    )
    assert batch.Summary(output.parent, settings).done_before(task).status == batch.SKIPPED
    mosaic = batch.Settings(DetectorSettings(), ExportSettings(style="mosaic"))
    assert batch.Summary(output.parent, mosaic).done_before(task) is None
    source.write_bytes(b"another photo")
    assert batch.Summary(output.parent, settings).done_before(task) is None


def test_outputs_mirror_the_inputs_and_never_collide(tmp_path):
    for name in ("a/clip.mp4", "a/clip.mov", "b/c/photo.PNG", "b/.hidden.mp4", "b/out/old.mp4", "b/notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    tasks = batch.plan([tmp_path / "a", tmp_path / "b"], tmp_path / "b/out")
    assert {t.name: Path(t.output).relative_to(tmp_path / "b/out").as_posix() for t in tasks} == {
        "a/clip.mov": "a/clip.mov.mp4",
        "a/clip.mp4": "a/clip.mp4",
        "b/c/photo.PNG": "b/c/photo.PNG",
    }


def test_ctrl_c_leaves_only_whole_outputs(inputs, tmp_path):
    """Interrupted as soon as the first output is being written: exit 130, no partial file anywhere, the file
    not yet started and (unless it was already flushing) the one being written are recorded as cancelled and
    have no output; whatever is recorded done is whole."""
    out = tmp_path / "out"
    names = ("day1/clip.mp4", "day2/closeup.mov")
    command = [sys.executable, "main.py", "batch", *(inputs / n for n in names), "-o", out, "--workers", "1"]
    # A shell that started the tests in the background may have left SIGINT ignored; Ctrl+C in a terminal is not.
    running = subprocess.Popen(
        list(map(str, command)),
        cwd=Path(__file__).parents[1],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 300
    while not list(out.rglob(f".*{outfile.SUFFIX}")) and running.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert running.poll() is None, "finished before the test could interrupt it"
    os.killpg(running.pid, signal.SIGINT)
    _, stderr = running.communicate(timeout=120)
    assert running.returncode == 130, stderr
    assert "cancelled" in stderr and "Traceback" not in stderr
    assert not [p for p in out.rglob("*") if "partial" in p.name]
    rows = summary(out)
    assert rows["day2/closeup.mov"]["status"] == "cancelled"
    for name, row in rows.items():
        output = out / OUTPUTS[name]
        assert row["status"] in ("ok", "cancelled")
        assert output.exists() == (row["status"] == "ok")
        if output.exists():
            assert len(times(output)) == 30


def test_a_worker_that_dies_costs_only_a_retry(inputs, local_batch, tmp_path):
    """A worker killed mid-job (as the out-of-memory killer would) breaks the process pool; the jobs it held
    are run again, one at a time, and the batch still completes."""
    out = tmp_path / "out"
    names = ("day1/clip.mp4", "day2/closeup.mov")
    command = [
        sys.executable,
        "main.py",
        "batch",
        *(inputs / n for n in names),
        "-o",
        out,
        "--workers",
        "2",
        "--known-faces",
        PERFORMER,
    ]
    running = subprocess.Popen(
        list(map(str, command)),
        cwd=Path(__file__).parents[1],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    workers = []
    while len(workers) < 2 and running.poll() is None:
        time.sleep(0.1)
        found = subprocess.run(["pgrep", "-P", str(running.pid), "-f", "spawn_main"], capture_output=True, text=True)
        workers = found.stdout.split()
    time.sleep(1)
    assert running.poll() is None, "finished before the test could kill a worker"
    os.kill(int(workers[0]), signal.SIGKILL)
    stdout, stderr = running.communicate(timeout=600)
    assert running.returncode == 0, stdout + stderr
    assert {row["status"] for row in summary(out).values()} == {"ok"}
    for name in names:
        same_frames(out / OUTPUTS[name], local_batch[0] / OUTPUTS[name])


RAY_DRIVER = """
import sys
import ray
import main
from engine import identities, pools, project, segments
from engine.job import Job
from engine.records import DetectorSettings
address, inputs, out, clip, known, target = sys.argv[1:]
code = main.main(["batch", inputs, "-o", out, "--known-faces", known, "--ray", address])
jobs = [ray.get_runtime_context().get_job_id() if ray.is_initialized() else "none"]
pool = pools.RayPool(address, segments.detect_segment)
faces = identities.load_known_faces([known])
job = Job(on_progress=lambda stage, done, total: print("progress:", stage, done, total))
project.save(segments.analyze_segmented(clip, pool, 2, DetectorSettings(), faces, job), target)
print("Ray jobs:", *jobs, ray.get_runtime_context().get_job_id())
sys.exit(code)
"""


@pytest.fixture(scope="module")
def on_ray(ray_cluster, inputs, close_up, tmp_path_factory):
    """One driver on the cluster: `limelight batch --ray` on the inputs, then, on a second pool, the close-up
    analysed in two segments, as a split batch does (engine.segments.SplitVideos). Its own process: Ray reads the
    settings that keep it on 127.0.0.1 when it is imported, and this test process imported it before."""
    address, env = ray_cluster
    folder = tmp_path_factory.mktemp("ray")
    out, found = folder / "out", folder / "close_up.limelight.json"
    arguments = [address, inputs, out, close_up, PERFORMER, found]
    done = subprocess.run(
        [sys.executable, "-c", RAY_DRIVER, *map(str, arguments)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return out, done, found


def test_same_batch_on_a_ray_cluster(on_ray, local_batch):
    out, done, _ = on_ray
    check_batch(out, done)
    local, _ = local_batch
    for name in ("day1/clip.mp4", "day2/closeup.mov"):
        same_frames(out / OUTPUTS[name], local / OUTPUTS[name])
    name = OUTPUTS["day1/stills/pianist.png"]
    assert (out / name).read_bytes() == (local / name).read_bytes()


def test_segments_on_the_same_ray_connection(on_ray, close_up_analysed, tmp_path):
    """The segments give the unsplit analysis (as on this machine's pool, tests/test_segments.py), and the second
    pool reused the batch's connection: one Ray job, whose workers had started and loaded their models already.
    The tasks' progress arrives, to the last frame, streamed by the tasks themselves (engine.pools._ray_work)."""
    _, done, found = on_ray
    lines = done.stdout.splitlines()
    (jobs,) = [line.split()[2:] for line in lines if line.startswith("Ray jobs:")]
    assert len(jobs) == 2 and jobs[0] == jobs[1], jobs
    detecting = [line.rsplit(maxsplit=2)[1:] for line in lines if line.startswith("progress: Detecting faces")]
    assert detecting and detecting[-1] == ["91", "91"], detecting
    project.save(close_up_analysed, tmp_path / "whole.limelight.json")
    assert project.to_dict(project.load(found)) == project.to_dict(project.load(tmp_path / "whole.limelight.json"))
    assert any(person.decision == Action.KEEP for person in close_up_analysed.identities)


def test_a_ray_task_streams_progress_and_a_cancel_stops_its_job(monkeypatch):
    """A Ray task (engine.pools._ray_work) is a generator that Ray iterates: the job's reports, then its result or
    its error. Cancelling the task interrupts that iteration, here by closing it; the job, on a thread of its own,
    must then stop at its next frame rather than run on."""
    monkeypatch.setattr(pools, "limit_threads", lambda count: None)  # this process's threads are not the task's
    ended = []

    def work(task, frames, progress, cancel_event):  # the settings a pool hands every job: here, its length
        for frame in range(1, frames + 1):
            if cancel_event.is_set():
                break
            progress(task.name, "Detecting faces", frame, frames)
            time.sleep(0.001)
        ended.append(frame)
        if task.name == "broken.mp4":
            raise ValueError("a broken frame")
        return f"{frame} frames"

    clip, broken = batch.Task("clip.mp4", "in", "out", 1), batch.Task("broken.mp4", "in", "out", 1)
    items = list(pools._ray_work(work, clip, 3))
    assert items[0] == ("progress", ("clip.mp4", "Detecting faces", 1, 3)) and items[-1] == ("result", "3 frames")
    assert items[-2] == ("progress", ("clip.mp4", "Detecting faces", 3, 3)), "the last report before the result"
    with pytest.raises(ValueError, match="a broken frame"):
        list(pools._ray_work(work, broken, 3))
    stream = pools._ray_work(work, clip, 10000)
    next(stream)
    stream.close()
    assert len(ended) == 3 and ended[-1] < 10000, "stopped, not run to the end"


def test_ray_missing_is_one_clear_line(tmp_path, inputs):
    """Simulated by a `ray` module that fails to import, placed first on the path."""
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "ray.py").write_text("raise ImportError('No module named ray')\n")
    env = {**os.environ, "PYTHONPATH": str(fake)}
    done = cli("batch", inputs / "day1/stills", "-o", tmp_path / "out", "--ray", "127.0.0.1:1", env=env)
    assert done.returncode == 5 and "'ray'" in done.stderr, done.stderr
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr


def test_unreachable_ray_cluster_is_one_clear_line(tmp_path, inputs):
    pytest.importorskip("ray", reason="ray is not installed (the batch scale-out extra in requirements.txt)")
    done = cli("batch", inputs / "day1/stills", "-o", tmp_path / "out", "--ray", f"127.0.0.1:{free_port()}")
    assert done.returncode == 2 and "cannot reach the Ray cluster" in done.stderr, done.stderr
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
