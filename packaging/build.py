"""Build LimeLight's installer for the OS this runs on: the PyInstaller bundle, then
  Linux:   dist/limelight_<version>_<arch>.deb (dpkg-deb)
  Windows: dist/LimeLight-<version>-setup.exe (Inno Setup's iscc, when on PATH)
  macOS:   dist/LimeLight-<version>.dmg (hdiutil)

Usage: .venv/bin/python packaging/build.py [--workpath DIR] [--distpath DIR]
Run it with the project's venv: the bundle is made of exactly what that venv has installed."""

import argparse
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import notices

PACKAGING = Path(__file__).resolve().parent
ROOT = PACKAGING.parent
VERSION = (PACKAGING / "VERSION").read_text().strip()
PROJECT = tomllib.loads((PACKAGING / "project.toml").read_text())


def run(*command, **kwargs) -> None:
    print("+", " ".join(map(str, command)), flush=True)
    subprocess.run([str(c) for c in command], check=True, **kwargs)


def bundle(workpath: Path, distpath: Path) -> Path:
    run(
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--workpath",
        workpath,
        "--distpath",
        distpath,
        PACKAGING / "limelight.spec",
    )
    return distpath / ("LimeLight.app" if sys.platform == "darwin" else "limelight")


def _link_or_copy(source, target) -> None:
    """The staging tree is a second copy of a bundle of over a gigabyte: hard links make it free."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def deb(folder: Path, workpath: Path, distpath: Path) -> Path:
    """/usr/lib/limelight holds the bundle as PyInstaller made it; /usr/bin/limelight, the menu entry and the
    icons point into it. Not /opt: no package owns /opt, so dpkg would try to remove it on `apt remove` and warn
    that it is not empty. Icon cache and menu refresh come from the hicolor and desktop-file-utils dpkg triggers,
    so the package needs no maintainer scripts and `apt remove` leaves nothing behind."""
    arch = subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True, text=True).stdout.strip()
    stage = workpath / "deb" / f"limelight_{VERSION}_{arch}"
    shutil.rmtree(stage, ignore_errors=True)
    shutil.copytree(folder, stage / "usr" / "lib" / "limelight", symlinks=True, copy_function=_link_or_copy)
    (stage / "usr" / "bin").mkdir()
    (stage / "usr" / "bin" / "limelight").symlink_to("../lib/limelight/limelight")
    share = stage / "usr" / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copy2(ROOT / "resources" / "limelight.desktop", share / "applications" / "limelight.desktop")
    icons = share / "icons" / "hicolor"
    for png in sorted((workpath / "limelight" / "assets" / "icons").glob("limelight-*.png")):
        size = png.stem.rsplit("-", 1)[1]
        (icons / f"{size}x{size}" / "apps").mkdir(parents=True)
        shutil.copy2(png, icons / f"{size}x{size}" / "apps" / "limelight.png")
    (icons / "scalable" / "apps").mkdir(parents=True)
    shutil.copy2(ROOT / "resources" / "limelight.svg", icons / "scalable" / "apps" / "limelight.svg")
    doc = share / "doc" / "limelight"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(notices.debian_copyright(folder / "_internal" / "licenses", PROJECT))
    for path in [stage, *stage.rglob("*")]:  # a build under a strict umask must still install usable by all
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or path.stat().st_mode & 0o100 else 0o644)

    installed_kib = sum(p.lstat().st_size for p in stage.rglob("*")) // 1024
    control = (PACKAGING / "linux" / "control.in").read_text()
    for key, value in {
        "VERSION": VERSION,
        "ARCH": arch,
        "SIZE": str(installed_kib),
        "MAINTAINER": PROJECT["maintainer"],
        "HOMEPAGE": PROJECT["homepage"],
    }.items():
        control = control.replace(f"@{key}@", value)
    (stage / "DEBIAN").mkdir()
    (stage / "DEBIAN" / "control").write_text(control)

    distpath.mkdir(parents=True, exist_ok=True)
    package = distpath / f"limelight_{VERSION}_{arch}.deb"
    # xz level 3: about a third of the bundle's size, in about a third of the time of dpkg's default level 6,
    # which CI would pay on every run (with TensorFlow: 634 MB in 3 minutes against 584 MB in 7.5). Every dpkg
    # reads xz.
    run("dpkg-deb", "--build", "--root-owner-group", "-Zxz", "-z3", stage, package)
    return package


def windows_installer(folder: Path, workpath: Path, distpath: Path) -> Path | None:
    iscc = shutil.which("iscc")
    if not iscc:
        print("Inno Setup's iscc is not on PATH: the bundle is built, the installer is not.", file=sys.stderr)
        return None
    from PIL import Image

    icon = workpath / "limelight" / "assets" / "limelight.ico"
    Image.open(workpath / "limelight" / "assets" / "icons" / "limelight-256.png").save(icon)
    run(
        iscc,
        f"/DAppVersion={VERSION}",
        f"/DAppPublisher={PROJECT['maintainer'].split(' <')[0]}",
        f"/DAppURL={PROJECT['homepage']}",
        f"/DBundleDir={folder}",
        f"/DOutputDir={distpath}",
        f"/DSetupIcon={icon}",
        PACKAGING / "windows" / "limelight.iss",
    )
    return distpath / f"LimeLight-{VERSION}-setup.exe"


def mac_dmg(app: Path, distpath: Path) -> Path:
    image = distpath / f"LimeLight-{VERSION}.dmg"
    run("bash", PACKAGING / "macos" / "make_dmg.sh", app, image)
    return image


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workpath", type=Path, default=ROOT / "build" / "pyinstaller")
    parser.add_argument("--distpath", type=Path, default=ROOT / "dist")
    args = parser.parse_args()
    started = time.monotonic()
    folder = bundle(args.workpath.resolve(), args.distpath.resolve())
    if sys.platform.startswith("linux"):
        product = deb(folder, args.workpath.resolve(), args.distpath.resolve())
    elif sys.platform == "win32":
        product = windows_installer(folder, args.workpath.resolve(), args.distpath.resolve())
    else:
        product = mac_dmg(folder, args.distpath.resolve())
    print(f"built {product or folder} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
