"""Starting the desktop app: `python main.py [VIDEO]`."""

import logging
import signal
import sys
import traceback
from typing import cast

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox

from gui.icons import RESOURCES, app_icon

PALETTE = {
    QPalette.ColorRole.Window: "#15171b",
    QPalette.ColorRole.WindowText: "#e6e8ec",
    QPalette.ColorRole.Base: "#1b1e23",
    QPalette.ColorRole.AlternateBase: "#202329",
    QPalette.ColorRole.Text: "#e6e8ec",
    QPalette.ColorRole.Button: "#23262d",
    QPalette.ColorRole.ButtonText: "#e6e8ec",
    QPalette.ColorRole.Highlight: "#65a30d",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#23262d",
    QPalette.ColorRole.ToolTipText: "#e6e8ec",
    QPalette.ColorRole.PlaceholderText: "#6b717d",
    QPalette.ColorRole.Link: "#a3e635",
}


def apply_theme(app: QApplication) -> None:
    """Fusion with a dark palette gives every widget a dark base on every platform; the stylesheet adds the
    details (cards, switches, the lime accent)."""
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in PALETTE.items():
        palette.setColor(role, QColor(colour))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#5d636e"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#5d636e"))
    app.setPalette(palette)
    app.setStyleSheet((RESOURCES / "dark.qss").read_text(encoding="utf-8"))


def create_app(argv: list[str]) -> QApplication:
    app = cast(QApplication, QApplication.instance()) or QApplication(["limelight", *argv])
    app.setApplicationName("LimeLight")
    app.setOrganizationName("LimeLight")
    app.setDesktopFileName("limelight")
    app.setWindowIcon(app_icon())
    apply_theme(app)
    return app


def _report_unexpected(window):
    """A bug in a slot must not end the session (and the unsaved edits): log it and say so."""

    def hook(kind, value, trace):
        logging.getLogger("limelight").error("".join(traceback.format_exception(kind, value, trace)))
        QMessageBox.critical(
            window,
            "Something went wrong",
            f"LimeLight hit an internal error ({kind.__name__}: {value}). Your project is saved; "
            "you can keep working, but please report this.",
        )

    return hook


def close_on_signals(window) -> None:
    """SIGTERM (a session logging out, a job runner) and Ctrl+C close the window as its close button does:
    running work is cancelled, so an export's temp file is removed. Qt's event loop runs no Python while it
    waits, so a timer wakes the interpreter to notice a signal."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: window.close())
    wake = QTimer(window)
    wake.timeout.connect(lambda: None)
    wake.start(200)


def run_gui(argv: list[str]) -> int:
    from gui.main_window import MainWindow

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = create_app(argv)
    window = MainWindow()
    sys.excepthook = _report_unexpected(window)
    close_on_signals(window)
    window.show()
    videos = [a for a in argv if not a.startswith("-")]
    if videos:
        QTimer.singleShot(0, lambda: window.session.open_path(videos[0]))
    return app.exec()
