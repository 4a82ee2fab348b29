"""The installer issue's acceptance test: build the bundle and the .deb with the one build command, install the
package with apt as a user would, then use the installed app, never the source tree or the venv, and remove it.

Slow (the build takes minutes, most of it PyInstaller and xz) but part of `make test`: CI must prove the package
installs and works. It needs a Debian-based machine and root, and fails, never skips, without them."""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import CLIP, PERFORMER, ROOT, audio_packets, frames, region_change, times
from tests.test_anonymize_clip import PERFORMER_CLOSEUPS, PIANIST

pytestmark = pytest.mark.slow

VERSION = (ROOT / "packaging" / "VERSION").read_text().strip()
APP = Path("/usr/lib/limelight")
COMMAND = Path("/usr/bin/limelight")
DESKTOP = Path("/usr/share/applications/limelight.desktop")
ICONS = Path("/usr/share/icons/hicolor")
# Loaded only on desktops that have GTK, which brings the libraries it needs; everything else must resolve.
OPTIONAL_PLUGINS = ("platformthemes/libqgtk3.so",)


def sh(*command, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=timeout, **kwargs)


def user_env(home: Path) -> dict:
    """A desktop user's environment: no venv, no PYTHONPATH, a fresh home (so no model cache), no display."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
            "QT_QPA_PLATFORM": "offscreen"}


def apt_get(*args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Waits for the dpkg lock rather than failing on it: another apt may be running on a shared machine."""
    return sh("apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=600", *args, timeout=1800, cwd=cwd,
              env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def installed() -> bool:
    status = sh("dpkg-query", "-W", "-f=${Status}", "limelight")
    return status.returncode == 0 and status.stdout.endswith(" installed")


@pytest.fixture(scope="module")
def package() -> Path:
    missing = [tool for tool in ("dpkg", "dpkg-deb", "apt-get", "ldd") if not shutil.which(tool)]
    if missing:
        pytest.fail(f"the package test needs a Debian-based machine; missing: {', '.join(missing)}")
    if os.geteuid() != 0:
        pytest.fail("the package test installs a .deb: run it as root")
    started = time.monotonic()
    build = sh(sys.executable, ROOT / "packaging" / "build.py", cwd=ROOT, timeout=3600)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    print(f"build: {time.monotonic() - started:.0f} s")
    arch = sh("dpkg", "--print-architecture").stdout.strip()
    deb = ROOT / "dist" / f"limelight_{VERSION}_{arch}.deb"
    assert deb.is_file(), build.stdout[-2000:]
    return deb


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def app(package):
    """Installed the way the README tells users to; apt resolves the Depends from the distribution, after
    refreshing its package lists if they are too old to have them."""
    if installed():
        apt_get("remove", "limelight")
    done = apt_get("install", f"./{package.name}", cwd=package.parent)
    if done.returncode != 0:
        apt_get("update")
        done = apt_get("install", f"./{package.name}", cwd=package.parent)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    yield COMMAND
    if installed():
        apt_get("remove", "limelight")


def test_installs_command_menu_entry_and_icons(app):
    assert app.resolve() == APP / "limelight"
    entry = DESKTOP.read_text()
    assert "Exec=limelight %f" in entry and "Icon=limelight" in entry and "Terminal=false" in entry
    assert (ICONS / "scalable" / "apps" / "limelight.svg").is_file()
    for size in (16, 32, 48, 128, 256):
        assert (ICONS / f"{size}x{size}" / "apps" / "limelight.png").is_file()


def test_every_library_resolves(app):
    """The bundle uses the distribution's own libraries (X11, xcb, fontconfig, OpenSSL...): the package's
    Depends must bring every one of them, or the GUI would fail only on machines that lack one."""
    internal = APP / "_internal"
    env = {"LD_LIBRARY_PATH": str(internal)}  # what PyInstaller's bootloader sets for the app
    unresolved = {}
    for path in [APP / "limelight", *internal.rglob("*.so*")]:
        if path.is_symlink() or not path.is_file() or str(path).endswith(OPTIONAL_PLUGINS):
            continue
        listing = sh("ldd", path, env=env).stdout
        missing = [line.split()[0] for line in listing.splitlines() if "not found" in line]
        if missing:
            unresolved[str(path.relative_to(APP))] = missing
    assert not unresolved


def test_selftest_passes_without_a_first_run_conversion(app, home):
    started = time.monotonic()
    done = sh(app, "--selftest", env=user_env(home), cwd=home, timeout=600)
    print(f"--selftest: {time.monotonic() - started:.1f} s")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "self-test passed" in done.stdout
    assert not (home / ".cache" / "limelight").exists(), "the installed app converted CenterFace again"


def test_help_answers(app, home):
    done = sh(app, "--help", env=user_env(home), cwd=home, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "anonymize" in done.stdout


def test_anonymizes_the_hamilton_clip(app, home, tmp_path):
    output = tmp_path / "out.mp4"
    done = sh(app, "anonymize", CLIP, "-o", output, "--known-faces", PERFORMER, env=user_env(home), cwd=home,
              timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    result = frames(output)
    assert len(result) == 275
    assert (result[0].width, result[0].height) == (640, 360)
    assert times(output) == times(CLIP)
    assert audio_packets(output) == audio_packets(CLIP)
    before = {i: f.to_ndarray(format="rgb24") for i, f in enumerate(frames(CLIP))}
    after = {i: f.to_ndarray(format="rgb24") for i, f in enumerate(result)}
    for index, box in PERFORMER_CLOSEUPS.items():
        assert region_change(before[index], after[index], box) < 3, f"performer changed in frame {index}"
    for index, box in PIANIST.items():
        assert region_change(before[index], after[index], box) > 6, f"pianist visible in frame {index}"


def test_gui_starts_and_stays_up(app, home):
    """The desktop entry's command with no argument: the window opens (offscreen here) and the event loop runs."""
    gui = subprocess.Popen([str(app)], env=user_env(home), cwd=home, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(20)
        alive = gui.poll() is None
    finally:
        gui.terminate()
        _, errors = gui.communicate(timeout=30)
    assert alive, errors
    assert "Traceback" not in errors, errors


def test_remove_leaves_nothing_behind(app):
    done = apt_get("remove", "limelight")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning" not in done.stderr.lower(), done.stderr
    assert not installed()
    leftovers = [p for p in (APP, COMMAND, DESKTOP, ICONS / "scalable" / "apps" / "limelight.svg",
                             ICONS / "256x256" / "apps" / "limelight.png") if p.exists() or p.is_symlink()]
    assert not leftovers
