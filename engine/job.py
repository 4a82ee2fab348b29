"""How long work talks to whoever started it: progress reports and warnings out, a cancel request in.

The CLI plugs a progress bar into it and the GUI worker plugs Qt signals into it, so the engine never needs to
know which of the two is watching."""

import threading
from dataclasses import dataclass, field
from typing import Callable

from engine.errors import Cancelled


def _ignore(*report) -> None:
    return None


@dataclass
class Job:
    on_progress: Callable[[str, int, int], None] = _ignore
    on_warning: Callable[[str], None] = _ignore
    cancel_event: threading.Event = field(default_factory=threading.Event)
    warnings: list[str] = field(default_factory=list)

    def step(self, stage: str, done: int, total: int) -> None:
        """Report progress; also the point where a pending cancel takes effect."""
        if self.cancel_event.is_set():
            raise Cancelled()
        self.on_progress(stage, done, total)

    def warn(self, message: str) -> None:
        """Something the user must know about a result that is still written: a track re-encoded, a stream
        dropped, a source that ends early. Kept for the end of the job and passed on as it happens."""
        self.warnings.append(message)
        self.on_warning(message)

    def cancel(self) -> None:
        self.cancel_event.set()
