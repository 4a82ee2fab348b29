"""Opening a video analyses it in the background while the window stays usable (see conftest.gui_analysis)."""

import numpy as np

from engine import project
from engine.records import Action
from gui.style import ACTION_COLOURS, DETECTION_COLOUR
from tests.gui.conftest import image_array
from tests.helpers import OPENING_FRAMES


def _pixels_near(image: np.ndarray, colour, tolerance: int = 12) -> int:
    target = np.array([colour.red(), colour.green(), colour.blue()])
    return int((np.abs(image.astype(int) - target).max(axis=2) <= tolerance).sum())


def test_results_arrive_while_analysis_runs_and_the_window_scrubs(gui_analysis):
    assert gui_analysis.analysing_when_shot
    ((wanted, shown),) = gui_analysis.seeks_during
    assert wanted == shown
    assert gui_analysis.faces_shown_live > 0
    assert any(text in ("Analysing", "Detecting faces") for text in gui_analysis.task_rows_during)


def test_analysis_is_saved_and_shown_as_people_and_lanes(gui_analysis):
    saved = project.load(gui_analysis.project_path)
    assert saved.source.frame_count == OPENING_FRAMES, "the clip's opening (tests/conftest.py)"
    assert len(saved.identities) == gui_analysis.identities > 1
    assert gui_analysis.cards == len(saved.identities)
    assert gui_analysis.lanes == len(saved.identities)
    assert all(i.decision == Action.BLUR for i in saved.identities), "nobody is kept until the editor says so"
    assert gui_analysis.project_path.parent == gui_analysis.folder / "store", (
        "projects beside videos was off, so the project went to the per-user store"
    )


def test_screenshots_during_and_after_analysis(gui_analysis):
    """The shots stay in pytest's temporary folder (`analysis0/` under its base temp) for a person to look at."""
    during_pixels, after_pixels = image_array(gui_analysis.during), image_array(gui_analysis.after)
    assert during_pixels.shape == after_pixels.shape == (900, 1440, 3)
    assert _pixels_near(during_pixels, DETECTION_COLOUR) > 50, "faces found so far are outlined"
    assert _pixels_near(after_pixels, ACTION_COLOURS[Action.BLUR]) > 500, "blurred faces and lanes are red"
    assert _pixels_near(after_pixels, DETECTION_COLOUR) < _pixels_near(during_pixels, DETECTION_COLOUR)
