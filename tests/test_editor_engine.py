"""The engine side of reviewing people: per-person figures, merges that keep intent, review moments, the audit
report written beside every export, and analysis resumed from a checkpoint. On the real clip."""

import base64
import json
import re

import pytest

from engine import audit, checkpoint, decisions, people_stats, project, review
from engine.analyze import analyze
from engine.errors import Cancelled
from engine.job import Job
from engine.records import Action, DetectorSettings, Match, MatchStatus
from tests.helpers import CLIP, OPENING_FRAMES, PERFORMER


@pytest.fixture
def proj(anonymized):
    return project.load(anonymized[1])


def test_stats_count_screen_time_once_and_sort_three_ways(proj):
    stats = people_stats.all_stats(proj)
    tracks = {t.id: t for t in proj.tracks}
    for identity in proj.identities:
        frames = set()
        for t in identity.tracks:
            frames |= set(range(tracks[t].start, tracks[t].end + 1))
        assert stats[identity.id].frames == len(frames)
        assert stats[identity.id].first == min(tracks[t].start for t in identity.tracks)
    by_time = sorted(stats.values(), key=people_stats.sort_key(people_stats.SCREEN_TIME))
    assert [s.frames for s in by_time] == sorted((s.frames for s in by_time), reverse=True)
    by_first = sorted(stats.values(), key=people_stats.sort_key(people_stats.FIRST_APPEARANCE))
    assert [s.first for s in by_first] == sorted(s.first for s in by_first)
    by_decision = sorted(stats.values(), key=people_stats.sort_key(people_stats.DECISION))
    assert by_decision[0].state == Action.KEEP, "the performer, kept from his photo, leads"
    short = [s for s in stats.values() if people_stats.is_short(s, proj.source.fps)]
    assert short and all(s.frames < proj.source.fps for s in short)
    assert any(people_stats.is_low_confidence(s) for s in stats.values())


def test_merging_kept_and_blurred_blurs_unless_told_otherwise(proj):
    kept = next(i for i in proj.identities if i.decision == Action.KEEP)
    other = next(i for i in proj.identities if i.decision == Action.BLUR)
    assert decisions.merge_decision(proj, [kept.id, other.id]) is None, "they disagree"
    moved = list(other.tracks)
    decisions.merge_identities(proj, kept.id, other.id)
    assert kept.decision == Action.BLUR and set(moved) <= set(kept.tracks)
    assert all(proj.track(t).identity == kept.id for t in kept.tracks)
    third = next(i for i in proj.identities if i.id != kept.id)
    decisions.merge_identities(proj, kept.id, third.id, decision=Action.KEEP)
    assert kept.decision == Action.KEEP
    everyone = decisions.split_identity(proj, kept.id)
    assert len(everyone) == len(set(everyone)) > 2
    assert all(proj.identity(i).decision == Action.BLUR for i in everyone[1:]), "split-off people start blurred"


def test_review_moments_cover_every_kind_and_follow_decisions(proj):
    found = review.moments(proj)
    text = " ".join(m.describe() for m in found)
    for words in ("tracker filled", "unsure", "only", "kept face appears", "kept face leaves"):
        assert words in text
    assert [m.frame for m in found] == sorted(m.frame for m in found)
    kept = next(i for i in proj.identities if i.decision == Action.KEEP)
    decisions.set_identity(proj, kept.id, Action.BLUR)
    assert "kept face" not in " ".join(m.describe() for m in review.moments(proj))


def test_export_writes_an_audit_beside_the_video(anonymized):
    output, project_path = anonymized
    report = audit.report_path(output)
    assert report == output.with_name("out.audit.html") and report.is_file()
    text = report.read_text()
    proj = project.load(project_path)
    assert project.fingerprint(output) in text and proj.source.fingerprint in text
    assert "lin-manuel-miranda" in text
    images = re.findall(r'src="data:image/jpeg;base64,([^"]+)"', text)
    assert images and base64.b64decode(images[0])[:2] == b"\xff\xd8", "an embedded JPEG of the kept face"


def test_audit_says_why_each_person_is_kept(proj, tmp_path, anonymized):
    kept = next(i for i in proj.identities if i.decision == Action.KEEP)
    kept.match = Match("lin-manuel-miranda", str(PERFORMER), 0.4123, MatchStatus.CONFIRMED)
    rejected = next(i for i in proj.identities if i.decision == Action.BLUR)
    rejected.match = Match("someone-else", "/photos/someone-else.jpg", 0.58, MatchStatus.REJECTED)
    by_hand = next(i for i in proj.identities if i.decision == Action.BLUR and i is not rejected)
    decisions.set_identity(proj, by_hand.id, Action.KEEP)
    decisions.add_manual_track(proj, 10, [(5.0, 5.0, 40.0, 40.0)] * 12)
    proj.export.mark = True
    text = audit.render(proj, CLIP, anonymized[0])
    assert f"confirmed by the editor as lin-manuel-miranda (photo {PERFORMER.name}, distance 0.412)" in text
    assert "kept by a decision in the project (no photo match recorded)" in text and "someone-else" in text
    assert "1, 12 frames in all" in text, "the drawn region"
    assert "review copy" in text
    blurred = sum(d.action == Action.BLUR for found in decisions.by_frame(proj).values() for d in found)
    assert f"<td>{blurred}</td>" in text


def test_analysis_stopped_midway_resumes_from_its_checkpoint(opening, opening_analysed, tmp_path, monkeypatch):
    """On the clip's opening (tests/conftest.py): stopped after its first shot change, resumed across the second,
    it gives the uninterrupted run's tracks (`opening_analysed`, the same default settings)."""
    from engine import analyze as analysis

    made = analysis.detect.create
    calls = []

    def counting(*args, **kwargs):
        detector = made(*args, **kwargs)
        detect = detector.detect
        detector.detect = lambda *a, **k: (calls.append(1), detect(*a, **k))[1]
        return detector

    monkeypatch.setattr(analysis.detect, "create", counting)
    saved = tmp_path / ("clip" + checkpoint.SUFFIX)
    stop_at, total = 60, OPENING_FRAMES

    reports = []

    def stop(stage, done, total):
        reports.append((stage, done, total, len(calls)))
        if stage == "Detecting faces" and done > stop_at:
            raise Cancelled()

    with pytest.raises(Cancelled):
        analyze(opening, job=Job(on_progress=stop), checkpoint=saved, recognise=False)
    assert reports[0] == ("Detecting faces", 0, total, 0), "a percentage from the start, before the model loads"
    kept = checkpoint.read(saved, checkpoint._header(opening, DetectorSettings()))
    assert len(kept) >= stop_at
    with saved.open("a") as f:
        f.write("[99999, [[1, 2")  # a crash mid-line: ignored
    calls.clear()
    looked_at: list[int] = []  # every frame triage sends to the detector, whether detected now or checkpointed
    resumed = analyze(opening, checkpoint=saved, recognise=False, on_detections=lambda i, _: looked_at.append(i))
    reused = [frame for frame in looked_at if frame < len(kept)]
    assert len(reused) >= stop_at // 3 and len(calls) == len(looked_at) - len(reused), (
        "the checkpointed frames were not detected again, every other one was"
    )
    assert [(t.start, t.boxes) for t in resumed.tracks] == [(t.start, t.boxes) for t in opening_analysed.tracks]
    assert resumed.cuts == opening_analysed.cuts == [20, 82]
    other = DetectorSettings(stride=2)
    assert checkpoint.read(saved, checkpoint._header(opening, other)) == [], "other settings: start afresh"


def test_the_autosave_text_is_the_project_file_after_any_edit(proj):
    from engine.project_text import ProjectText

    text = ProjectText()
    plain = lambda: json.dumps(project.to_dict(proj), separators=(",", ":"))  # noqa: E731
    assert text.dumps(proj) == plain()
    first, second = proj.identities[0].id, proj.identities[1].id
    decisions.merge_people(proj, [first, second], Action.KEEP)
    decisions.add_manual_track(proj, 3, [(1.0, 2.0, 30.0, 40.0)] * 4)
    decisions.split_track(proj, proj.identity(first).tracks[-1])
    assert text.dumps(proj) == plain()
    assert project.from_dict(json.loads(text.dumps(proj))).identities == proj.identities
