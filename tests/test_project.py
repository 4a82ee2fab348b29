"""The project file: round trip, atomic saves, damaged files reported and left alone."""

import json
import re

import pytest

from engine import decisions, project
from engine.errors import InputError, OutputError, ProjectFileError
from engine.records import SCHEMA_VERSION, Action, Match
from tests.helpers import CLIP


@pytest.fixture(scope="module")
def analysed(anonymized):
    """The session's analysis of the clip (tests/conftest.py); the tests here only read it."""
    return anonymized[1]


def test_round_trip_is_lossless(analysed, tmp_path):
    loaded = project.load(analysed)
    assert loaded.tracks and loaded.identities and loaded.source.frame_count == 275
    assert loaded.cuts == [20, 82, 211]
    copy = tmp_path / "copy.json"
    project.save(loaded, copy)
    assert project.to_dict(project.load(copy)) == project.to_dict(loaded)
    assert json.loads(copy.read_text())["schema"] == SCHEMA_VERSION


def test_edits_survive_a_save(analysed, tmp_path):
    proj = project.load(analysed)
    person = proj.identities[0]
    decisions.set_identity(proj, person.id, Action.KEEP)
    track = proj.tracks[-1]
    decisions.set_track(proj, track.id, Action.IGNORE)
    drawn = decisions.add_manual_track(proj, 10, [(5, 5, 50, 50)] * 3)
    path = tmp_path / "edited.json"
    project.save(proj, path)
    again = project.load(path)
    saved = json.loads(path.read_text())
    assert next(p for p in saved["identities"] if p["id"] == person.id)["decision"] == "keep", "the words stay"
    assert saved["overrides"][str(track.id)] == "ignore"
    assert type(again.identity(person.id).decision) is Action and type(again.overrides[track.id]) is Action
    assert again.identity(person.id).decision == Action.KEEP
    assert again.overrides[track.id] == Action.IGNORE
    assert again.track(drawn.id).manual and again.track(drawn.id).boxes == [(5, 5, 50, 50)] * 3


def test_export_uses_the_edited_project(limelight, analysed, tmp_path):
    proj = project.load(analysed)
    for person in proj.identities:
        decisions.set_identity(proj, person.id, Action.KEEP)
    edited = tmp_path / "all_kept.json"
    project.save(proj, edited)
    output = tmp_path / "out.mp4"
    done = limelight("export", edited, "-o", output, "--mark-faces", "--no-audio")
    assert done.returncode == 0, done.stderr
    assert output.stat().st_size > 100_000


@pytest.mark.parametrize(
    "field, value, says",
    [
        ("boxes", [1.0, 2.0, float("nan"), 4.0], "[2] should be a number, not nan"),
        ("boxes", [1.0, 2.0, 3.0], " should be 4 values"),
        ("scores", True, " should be a number, not True"),
        ("embedding", "0.1", " should be a number, not '0.1'"),
    ],
)
def test_one_bad_value_among_thousands_is_named(analysed, field, value, says):
    """Lists of numbers are checked in one pass (engine/typecheck.py); the one value that is wrong must still
    be found and named, wherever it is: here in the middle of the longest track."""
    data = json.loads(analysed.read_text())
    assert sum(len(t["boxes"]) * 5 + len(t["embedding"] or ()) for t in data["tracks"]) > 10_000
    n = max(range(len(data["tracks"])), key=lambda i: len(data["tracks"][i]["boxes"]))
    index = len(data["tracks"][n][field]) // 2
    data["tracks"][n][field][index] = value
    with pytest.raises(ProjectFileError, match=re.escape(f"tracks[{n}].{field}[{index}]{says}")):
        project.from_dict(data)


def test_damaged_project_is_reported_and_kept(limelight, analysed, tmp_path):
    damaged = tmp_path / "damaged.limelight.json"
    text = analysed.read_text()[:5000]
    damaged.write_text(text)
    with pytest.raises(ProjectFileError, match="damaged"):
        project.load(damaged)
    done = limelight("export", damaged, "-o", tmp_path / "out.mp4")
    assert done.returncode == 6 and "damaged" in done.stderr and "Traceback" not in done.stderr
    assert damaged.read_text() == text
    assert not (tmp_path / "out.mp4").exists()


def test_wrong_schema_and_wrong_fields_are_refused(analysed, tmp_path):
    data = json.loads(analysed.read_text())
    for change, message in [({"schema": 99}, "schema 99"), ({"tracks": [{"id": 1}]}, "not a valid")]:
        path = tmp_path / "bad.json"
        path.write_text(json.dumps({**data, **change}))
        with pytest.raises(ProjectFileError, match=message):
            project.load(path)


def test_a_different_source_video_is_refused(analysed, tmp_path):
    proj = project.load(analysed)
    impostor = tmp_path / "short_hamilton_clip.mp4"
    impostor.write_bytes(CLIP.read_bytes()[:-10])
    proj.source.path = str(impostor)
    with pytest.raises(InputError, match="not the video"):
        project.source_path(proj)


def test_failed_save_keeps_the_previous_file(analysed, tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    proj = project.load(analysed)
    project.save(proj, path)
    before = path.read_text()

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(project.os, "fsync", disk_full)
    with pytest.raises(OutputError, match="No space left"):
        project.save(proj, path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]


def test_suggested_match_is_blurred_until_confirmed_and_rejection_sticks(analysed, tmp_path):
    proj = project.load(analysed)
    person = next(p for p in proj.identities if p.match is None and p.decision == Action.BLUR)
    person.match = Match(name="performer", photo="/photos/performer.png", distance=0.41)
    path = tmp_path / "suggested.json"
    project.save(proj, path)
    loaded = project.load(path)
    suggested = loaded.identity(person.id)
    assert suggested.match == person.match and suggested.decision == Action.BLUR
    decisions.confirm_match(loaded, person.id)
    assert (suggested.decision, suggested.name, suggested.match.status) == (Action.KEEP, "performer", "confirmed")
    decisions.reject_match(loaded, person.id)
    assert (suggested.decision, suggested.name, suggested.match.status) == (Action.BLUR, None, "rejected")
    project.save(loaded, path)
    assert project.load(path).identity(person.id).match.status == "rejected"


def test_schema_1_projects_still_open(analysed, tmp_path):
    data = json.loads(analysed.read_text())
    for person in data["identities"]:
        del person["match"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps({**data, "schema": 1}))
    loaded = project.load(old)
    assert all(p.match is None for p in loaded.identities) and loaded.schema == SCHEMA_VERSION
