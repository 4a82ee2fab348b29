"""An uncertain match is asked about, never kept silently: through the real command line on a short clip of a
real LFW face, then confirmed or rejected as an editor would, and never overridden by a new match."""

import numpy as np
import pytest

from engine import decisions, identities, project
from engine.records import Action, MatchStatus
from engine.stills import read_image
from tests.helpers import HAMILTON, cli, write_video

LFW = HAMILTON.parent / "lfw-people" / "Charles_Taylor"


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """Charles Taylor on screen for half a second; his known photo is another one, 0.49 from this face: the
    same man, very likely, but not beyond doubt."""
    folder = tmp_path_factory.mktemp("suggestion")
    picture = np.full((360, 640, 3), 90, np.uint8)
    picture[55:305, 195:445] = read_image(LFW / "Charles_Taylor_0003.jpg")
    write_video(folder / "clip.mp4", [picture] * 15, [i * 1000 for i in range(15)])
    path = folder / "clip.limelight.json"
    done = cli("analyze", folder / "clip.mp4", "-p", path, "--known-faces", LFW / "Charles_Taylor_0004.jpg")
    assert done.returncode == 0, done.stderr
    return project.load(path), done.stdout, path


def test_an_uncertain_match_is_printed_and_blurred(analysed):
    proj, stdout, _ = analysed
    (person,) = [p for p in proj.identities if p.match is not None]
    assert person.match.status == MatchStatus.SUGGESTED and person.match.name == "Charles_Taylor_0004"
    assert identities.MATCH_STRONG < person.match.distance <= identities.MATCH_WEAK
    assert person.decision == Action.BLUR and person.name is None
    assert (
        f"limelight: suggestion: person {person.id} may be Charles_Taylor_0004 "
        f"(distance {person.match.distance:.2f}); blurred until confirmed in the app"
    ) in stdout
    assert "kept:" not in stdout


def test_confirm_and_reject_survive_a_save_and_a_new_match(analysed, tmp_path):
    proj, _, _ = analysed
    (person,) = [p for p in proj.identities if p.match is not None]
    known = identities.load_known_faces([LFW / "Charles_Taylor_0004.jpg"])
    for answer, decision in ((decisions.confirm_match, Action.KEEP), (decisions.reject_match, Action.BLUR)):
        answer(proj, person.id)
        project.save(proj, tmp_path / "answered.json")
        reopened = project.load(tmp_path / "answered.json")
        identities.apply_known_faces(reopened.identities, known, reopened.tracks)
        again = reopened.identity(person.id)
        assert again.decision == decision and again.match.status == proj.identity(person.id).match.status
        assert decisions.by_frame(reopened)[7][0].action == decision
