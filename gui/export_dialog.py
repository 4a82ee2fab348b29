"""Where to write the anonymised video and how it should look. The settings are checked (output writable, not
the source) before the dialog closes, so a long export never fails at its first frame for a reason known now."""

from dataclasses import replace
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine import render
from engine.errors import UserError
from engine.export import check_output
from engine.records import ExportSettings

QUALITIES = (("Best (larger file)", 14), ("High", 18), ("Good", 23), ("Small file", 28))


def suggested_output(video: Path, folder: Path | None = None) -> Path:
    return (folder or video.parent) / f"{video.stem}_anonymised.mp4"


class ExportDialog(QDialog):
    def __init__(
        self, settings: ExportSettings, output: Path, source: Path, has_audio: bool, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setWindowTitle("Export video")
        self.setMinimumWidth(520)
        self._source = source
        self._settings = settings
        self.output = QLineEdit(str(output))
        browse = QPushButton("Browse\u2026")
        browse.setAutoDefault(False)
        browse.clicked.connect(self._browse)
        where = QHBoxLayout()
        where.addWidget(self.output, 1)
        where.addWidget(browse)
        self.style_box = self._combo(render.STYLES, settings.style)
        self.shape = self._combo(render.SHAPES, settings.shape)
        self.strength = self._spin(0.2, 3.0, 0.1, settings.strength, "How strongly faces are hidden")
        self.padding = self._spin(1.0, 2.5, 0.05, settings.padding, "Region size relative to the detected face")
        self.quality = QComboBox()
        for label, crf in QUALITIES:
            self.quality.addItem(f"{label} (CRF {crf})", crf)
        if self.quality.findData(settings.crf) < 0:
            self.quality.addItem(f"Custom (CRF {settings.crf})", settings.crf)
        self.quality.setCurrentIndex(self.quality.findData(settings.crf))
        self.keep_audio = QCheckBox("Keep the original audio")
        self.keep_audio.setChecked(settings.keep_audio and has_audio)
        self.keep_audio.setEnabled(has_audio)
        self.mark = QCheckBox("Outline faces for review instead of blurring")
        self.mark.setChecked(settings.mark)
        form = QFormLayout()
        form.addRow("Save as", where)
        form.addRow("Blur style", self.style_box)
        form.addRow("Shape", self.shape)
        form.addRow("Strength", self.strength)
        form.addRow("Padding", self.padding)
        form.addRow("Quality", self.quality)
        form.addRow("", self.keep_audio)
        form.addRow("", self.mark)
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole).setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    @staticmethod
    def _combo(choices, current: str) -> QComboBox:
        box = QComboBox()
        box.addItems(list(choices))
        box.setCurrentText(current)
        return box

    @staticmethod
    def _spin(low: float, high: float, step: float, value: float, tip: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(low, high)
        spin.setSingleStep(step)
        spin.setDecimals(2)
        spin.setValue(value)
        spin.setToolTip(tip)
        return spin

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export video",
            self.output.text(),
            "MP4 video (*.mp4);;QuickTime movie (*.mov);;Matroska video (*.mkv)",
        )
        if path:
            self.output.setText(path if path.lower().endswith((".mp4", ".mov", ".mkv")) else path + ".mp4")

    def settings(self) -> ExportSettings:
        return replace(
            self._settings,
            style=self.style_box.currentText(),
            shape=self.shape.currentText(),
            strength=self.strength.value(),
            padding=self.padding.value(),
            crf=self.quality.currentData(),
            keep_audio=self.keep_audio.isChecked(),
            mark=self.mark.isChecked(),
        )

    def target(self) -> Path:
        return Path(self.output.text().strip()).expanduser()

    def accept(self) -> None:
        """An existing file is replaced only when Export is pressed a second time after the warning."""
        try:
            if not self.output.text().strip():
                raise UserError("Choose where to save the video")
            check_output(self.target(), self._source)
        except UserError as exc:
            self._warn(str(exc))
            return
        if self.target().exists() and self.problem.property("replacing") != str(self.target()):
            self._warn(f"{self.target().name} already exists. Press Export again to replace it.")
            self.problem.setProperty("replacing", str(self.target()))
            return
        super().accept()

    def _warn(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setProperty("replacing", None)
        self.problem.show()
