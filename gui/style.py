"""How decisions look, shared by the preview, the timeline and the people panel so a colour means the same
thing everywhere (and matches the engine's review outlines)."""

from PySide6.QtGui import QColor

from engine.records import Action, Identity
from engine.render import COLOURS

ACTION_COLOURS = {
    Action.BLUR: QColor(*COLOURS[Action.BLUR]),
    Action.KEEP: QColor(*COLOURS[Action.KEEP]),
    Action.IGNORE: QColor("#7c828d"),
}
ACTION_WORDS = {Action.BLUR: "blurred", Action.KEEP: "kept", Action.IGNORE: "not a face"}
DETECTION_COLOUR = QColor("#f5b82e")
ACCENT = QColor("#a3e635")
PANEL = QColor("#1b1d22")
BACKDROP = QColor("#0e0f12")
TEXT = QColor("#e6e8ec")
DIM_TEXT = QColor("#8b919c")


def person_label(identity: Identity) -> str:
    return identity.name or f"Person {identity.id}"


def timecode(frame: int, fps: float) -> str:
    """HH:MM:SS:FF, the way editing software shows positions."""
    rate = max(1, round(fps))
    seconds, frames = divmod(frame, rate)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}:{frames:02d}"


def duration(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes}:{seconds:02d}" if minutes < 60 else f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}"


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else words or word + 's'}"
