"""The accuracy evaluation on the hand-annotated fixture, and its arithmetic on cases worked out by hand."""

import numpy as np

from engine.records import Detection
from tests.helpers import HAMILTON, ROOT
from tools import evaluate

FIXTURE = ROOT / "tests" / "data" / "faces.txt"


def test_reads_wider_face_format():
    truth = evaluate.read_wider(FIXTURE)
    assert sum(len(b) for b in truth.values()) == 7
    assert truth["two_people.jpg"][0].tolist() == [234, 24, 386, 224]


def test_average_precision_by_hand():
    assert evaluate.average_precision([(0.9, True), (0.8, True)], 2) == 1.0
    assert evaluate.average_precision([(0.9, True), (0.8, False)], 2) == 0.5
    assert np.isclose(evaluate.average_precision([(0.9, False), (0.8, True)], 1), 0.5)


def test_each_face_is_claimed_once():
    truth = np.array([[0, 0, 10, 10]], float)
    found = [Detection((0, 0, 10, 10), 0.9), Detection((0, 0, 10, 9), 0.8)]
    assert [hit for _, hit in evaluate._matches(found, truth, 0.5)] == [True, False]


def test_default_detector_scores_on_the_fixture():
    score = evaluate.evaluate(evaluate.read_wider(FIXTURE), HAMILTON, "centerface")
    assert score.recall == 1.0 and score.precision == 1.0 and score.average_precision == 1.0


def test_command_prints_a_table(capsys):
    assert evaluate.main([str(FIXTURE), "--images", str(HAMILTON), "--detectors", "haar"]) == 0
    out = capsys.readouterr().out
    assert "precision" in out and out.splitlines()[1].startswith("haar")
