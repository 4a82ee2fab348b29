"""The document: edits through engine.decisions, undo/redo of every kind of edit, debounced atomic autosave,
and where project files are kept."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine import project
from engine.records import Action
from engine.video import probe
from gui import storage
from gui.document import Document
from tests.gui.conftest import CLIP
from tests.helpers import ROOT


@pytest.fixture
def document(app, gui_analysis, footage, tmp_path):
    path = tmp_path / "clip.limelight.json"
    shutil.copy(gui_analysis.pristine, path)
    document = Document()
    document.open(footage, probe(footage), project.load(path), path)
    yield document
    document.close()


def _state(proj):
    return json.dumps(project.to_dict(proj), sort_keys=True)


def test_every_kind_of_edit_undoes_to_the_exact_previous_state(document):
    proj = document.project
    first, second = proj.identities[0], proj.identities[1]
    track = proj.track(first.tracks[0])
    edits = [
        lambda: document.toggle_person(first.id),
        lambda: document.set_person(second.id, Action.KEEP),
        lambda: document.set_appearance(track.id, Action.IGNORE),
        lambda: document.merge_people([first.id, second.id]),
        lambda: document.split_appearance(track.id),
        lambda: document.add_region(10, [(5.0, 5.0, 40.0, 40.0)] * 5),
    ]
    states = [_state(proj)]
    for edit in edits:
        edit()
        states.append(_state(proj))
    assert len(set(states)) == len(states), "each edit changed the project"
    for expected in reversed(states[:-1]):
        document.undo_stack.undo()
        assert _state(document.project) == expected
    for expected in states[1:]:
        document.undo_stack.redo()
        assert _state(document.project) == expected


def test_decisions_per_frame_follow_the_edits(document):
    proj = document.project
    track = max(proj.tracks, key=lambda t: len(t.boxes))
    frame = track.start

    def action():
        return next(d.action for d in document.decisions_at(frame) if d.track == track.id)

    assert action() == Action.BLUR
    document.set_person(track.identity, Action.KEEP)
    assert action() == Action.KEEP
    document.set_appearance(track.id, Action.BLUR)
    assert action() == Action.BLUR
    region = document.add_region(frame, [(1.0, 1.0, 30.0, 30.0)])
    assert any(d.track == region and d.action == Action.BLUR for d in document.decisions_at(frame))
    document.remove_region(region)
    assert not any(d.track == region for d in document.decisions_at(frame))


def test_autosave_waits_for_a_pause_then_writes_once(document, qtbot):
    saves = []
    document.saved.connect(saves.append)
    people = document.project.identities[:3]
    for person in people:
        document.set_person(person.id, Action.KEEP)
    assert saves == []
    qtbot.waitUntil(lambda: len(saves) == 1)
    on_disk = project.load(document.path)
    assert all(on_disk.identity(p.id).decision == Action.KEEP for p in people)
    assert not list(document.path.parent.glob("*.partial"))


def test_a_failed_save_is_reported_and_retried_later(document, qtbot, tmp_path):
    failures = []
    document.save_failed.connect(failures.append)
    good = document.path
    document.path = tmp_path / "gone" / "clip.limelight.json"
    document.toggle_person(document.project.identities[0].id)
    document.save()
    assert len(failures) == 1 and "cannot save the project" in failures[0]
    document.path = good
    document.save()
    assert project.load(good).identities[0].decision == Action.KEEP


def test_projects_go_beside_the_video_when_the_folder_is_writable(tmp_path):
    folder = tmp_path / "footage"
    folder.mkdir()
    video = folder / "clip.mp4"
    video.symlink_to(CLIP)
    fingerprint = project.fingerprint(video)
    store = tmp_path / "store"
    assert storage.place(video, fingerprint, store) == project.default_path(video)
    assert storage.place(video, fingerprint, store, beside=False).parent == store


def test_a_folder_without_write_bits_is_read_only_even_to_root(tmp_path):
    """Root could write there, but whoever removed every write bit (CI's copy of ../shared, say) meant no."""
    folder = tmp_path / "footage"
    folder.mkdir()
    video = folder / "clip.mp4"
    store = tmp_path / "store"
    folder.chmod(0o555)
    try:
        assert storage.place(video, "sha256:0", store).parent == store
    finally:
        folder.chmod(0o755)
    assert not list(folder.iterdir()), "the probe left nothing behind"


def test_a_read_only_file_system_sends_projects_to_the_store(tmp_path):
    """A camera card or a read-only share keeps its write bits; only trying to write tells. The folder is a
    read-only tmpfs mounted in a private user and mount namespace, so no privilege is needed."""
    if not shutil.which("unshare") or subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode:
        pytest.skip("no unprivileged mount namespaces here (unshare -rm) to mount a read-only folder")
    card, store = tmp_path / "card", tmp_path / "store"
    card.mkdir()
    probe = (
        "import sys; from pathlib import Path; from gui import storage; "
        "print(storage.place(Path(sys.argv[1]) / 'clip.mp4', 'sha256:0', Path(sys.argv[2])))"
    )
    script = (
        'mount -t tmpfs -o ro,mode=777 tmpfs "$1" || exit 1; touch "$1/x" 2>/dev/null && exit 9; '
        'exec "$2" -c "$3" "$1" "$4"'
    )
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", card, sys.executable, probe, store],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode != 9, "the mount is writable: the test proves nothing"
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).parent == store


def test_a_saved_project_is_found_by_fingerprint_and_follows_a_renamed_video(gui_analysis, footage, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    saved = project.load(gui_analysis.pristine)
    project.save(saved, storage.stored_path(footage, saved.source.fingerprint, store))
    renamed = tmp_path / "elsewhere" / "final cut.mp4"
    renamed.parent.mkdir()
    renamed.symlink_to(footage)
    found, path = storage.find(renamed, project.fingerprint(renamed), store)
    assert path.parent == store and len(found.identities) == len(saved.identities)
    assert found.source.path == str(renamed.absolute()), "export reads the video where it is now"
    other = tmp_path / "other.mp4"
    other.write_bytes(b"\0" * 1000)
    assert storage.find(other, project.fingerprint(other), store) is None
