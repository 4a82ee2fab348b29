"""An export that fails, is stopped or races another leaves nothing where the user expects a video: no output,
no temp file (or one the next run removes), one `limelight: ...` line and the documented exit code."""

import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from engine import project, video
from engine.errors import InputError, OutputError
from engine.export import export
from engine.outfile import LEFTOVER
from tests.helpers import CLIP, ROOT, cli
from tests.sources import CASES, make, project_for


@pytest.fixture(scope="module")
def clip_project(tmp_path_factory) -> Path:
    """The sample clip with nothing to blur: the export a signal interrupts."""
    path = tmp_path_factory.mktemp("clip") / "clip.limelight.json"
    project.save(project_for(CLIP), path)
    return path


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, Path]:
    """A tiny video with two audio tracks and its project: an export that takes a fraction of a second."""
    folder = tmp_path_factory.mktemp("small")
    source = folder / "small.mp4"
    make(CASES["mp4-two-audio-tracks"], source)
    project.save(project_for(source), folder / "small.limelight.json")
    return source, folder / "small.limelight.json"


def _start_export(project_path: Path, output: Path, *options: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "export", str(project_path), "-o", str(output), *options],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell that started the tests in the background leaves SIGINT ignored; Ctrl+C in a terminal is not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if LEFTOVER.match(p.name)]


def _wait_for_temp_file(folder: Path, run: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not [p for p in _temp_files(folder) if p.stat().st_size]:
        assert run.poll() is None, run.communicate()
        assert time.monotonic() < deadline, "the export never started writing"
        time.sleep(0.05)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_export_removes_the_temp_file(stop, clip_project, tmp_path):
    output = tmp_path / "out.mp4"
    run = _start_export(clip_project, output, "--preset", "slower")
    _wait_for_temp_file(tmp_path, run)
    run.send_signal(stop)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 128 + stop, stderr
    assert stderr.strip() == f"limelight: cancelled ({stop.name}); no output written"
    assert list(tmp_path.iterdir()) == []


def test_a_killed_runs_leftover_is_removed_by_the_next_run(clip_project, small, tmp_path):
    run = _start_export(clip_project, tmp_path / "killed.mp4", "--preset", "slower")
    _wait_for_temp_file(tmp_path, run)
    run.kill()
    run.wait()
    leftovers = _temp_files(tmp_path)
    assert leftovers and not (tmp_path / "killed.mp4").exists()
    done = cli("export", small[1], "-o", tmp_path / "next.mp4")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["next.audit.html", "next.mp4"]


def test_two_runs_to_one_path_one_wins_whole(clip_project, tmp_path):
    output = tmp_path / "out.mp4"
    first = _start_export(clip_project, output)
    _wait_for_temp_file(tmp_path, first)
    first.send_signal(signal.SIGSTOP)  # still writing, however slow the second is to start
    second = cli("export", clip_project, "-o", output)
    first.send_signal(signal.SIGCONT)
    _, stderr = first.communicate(timeout=600)
    assert first.returncode == 0, stderr
    assert second.returncode == 4 and "another LimeLight export is writing" in second.stderr
    assert second.stderr.count("\n") == 1
    with av.open(str(output)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 275
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.audit.html", "out.mp4"]


def _in_tiny_tmpfs(kib: int, folder: Path, command: list[str]) -> subprocess.CompletedProcess | None:
    """Runs `command` with a real `kib`-sized tmpfs at `folder` (a private mount namespace, no root needed where
    user namespaces are allowed), then lists what is left there. None where such mounts are not allowed."""
    if not shutil.which("unshare") or subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode:
        return None
    script = (
        f'mount -t tmpfs -o size={kib}k tmpfs "{folder}" || exit 99\n"$@"; echo "exit $?" >&2; ls -A "{folder}" >&2'
    )
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", *command], capture_output=True, text=True, cwd=ROOT, timeout=600
    )
    return None if done.returncode == 99 else done


@pytest.mark.parametrize("kib, project_name", [(64, "clip"), (4, "small")])
def test_a_full_disk_fails_cleanly(kib, project_name, clip_project, small, tmp_path):
    """64 KiB fills while frames are written; 4 KiB holds the empty temp file but not the (buffered) video, so the
    sample fails when the file is closed."""
    project_path = clip_project if project_name == "clip" else small[1]
    folder = tmp_path / "full"
    folder.mkdir()
    done = _in_tiny_tmpfs(
        kib, folder, [sys.executable, "main.py", "export", str(project_path), "-o", str(folder / "out.mp4")]
    )
    if done is None:
        pytest.skip("no tmpfs mounts here (user namespaces not allowed); see the monkeypatched test below")
    message, exit_line, *left = done.stderr.strip().splitlines()
    assert exit_line == "exit 4", done.stderr
    assert message.startswith("limelight: error: ") and "No space left on device" in message
    assert left == [], "nothing is left on the full disk"


def test_a_failing_close_removes_the_temp_file(small, tmp_path, monkeypatch):
    """Where no tmpfs can be mounted: the container's close (MP4's index) fails as on a full disk."""

    class Failing:
        def __init__(self, real):
            self._real = real

        def __getattr__(self, name):
            return getattr(self._real, name)

        def close(self):
            self._real.close()
            raise OSError(28, "No space left on device")

    real_open = video.av.open
    monkeypatch.setattr(
        video.av,
        "open",
        lambda path, mode="r", **kw: (
            Failing(real_open(path, mode, **kw)) if mode == "w" else real_open(path, mode, **kw)
        ),
    )
    with pytest.raises(OutputError, match="No space left on device"):
        export(project.load(small[1]), tmp_path / "out.mp4")
    assert list(tmp_path.iterdir()) == []


def test_a_truncated_source_is_exported_with_a_warning(tmp_path):
    source = tmp_path / "whole.mp4"
    make(CASES["mp4-h264-bframes-tb1000-aac"], source)
    with (
        av.open(str(source)) as whole,
        av.open(str(tmp_path / "front.mp4"), "w", format="mp4", options={"movflags": "faststart"}) as out,
    ):
        streams = {s.index: out.add_stream_from_template(s) for s in whole.streams}
        for packet in whole.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream_index]
                out.mux(packet)
    data = (tmp_path / "front.mp4").read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: int(len(data) * 0.6)])
    result = export(project_for(truncated), tmp_path / "out.mp4")
    with av.open(str(truncated)) as container:
        readable = sum(1 for _ in container.decode(video=0))
    assert readable < 12
    assert [w for w in result.warnings if f"{12 - readable} of the 12 frames" in w and "missing" in w]
    with av.open(str(tmp_path / "out.mp4")) as container:
        assert sum(1 for _ in container.decode(video=0)) == readable


def test_a_decode_error_names_its_time(tmp_path):
    """One MJPEG frame of an AVI overwritten with zeros: FFmpeg cannot conceal that one."""
    source = tmp_path / "broken.avi"
    make(CASES["avi-mjpeg-pcm"], source)
    data = bytearray(source.read_bytes())
    chunk = [i for i in range(len(data)) if data[i : i + 4] == b"00dc"][6]
    size = int.from_bytes(data[chunk + 4 : chunk + 8], "little")
    data[chunk + 8 : chunk + 8 + size] = bytes(size)
    source.write_bytes(bytes(data))
    with pytest.raises(InputError) as failed:
        for _ in video.read_frames(source):
            pass
    found = re.search(r"decoding failed at 0:00:(\d\d\.\d{3}) \(frame (\d+)", str(failed.value))
    assert found, failed.value
    assert 0 < int(found[2]) < 12 and float(found[1]) == pytest.approx(int(found[2]) / 25)
