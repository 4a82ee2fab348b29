"""What a built bundle weighs, library by library: the figures the package test prints and packaging/README.md
quotes. Usage: python packaging/sizes.py dist/limelight [other bundle to compare]"""

import re
import sys
from collections import Counter
from pathlib import Path


def library(entry: str) -> str:
    """The library a top-level entry of `_internal` belongs to: `av.libs` and `av` are PyAV, `libQt6Core.so.6`
    is Qt, `numpy-2.4.6.dist-info` is numpy."""
    name = re.sub(r"(\.libs|\.dist-info|-[0-9].*)$", "", entry)
    name = re.sub(r"^_?(lib)?", "", name) if name.startswith(("lib", "_")) else name
    name = re.split(r"[.-]", name)[0] or entry
    aliases = {
        "pyside6": "PySide6",
        "qt6": "PySide6",
        "shiboken6": "PySide6",
        "opencv_python_headless": "cv2",
        "dlib_pybind11": "dlib",
        "dlib_bin": "dlib",
        "python3": "python",
        "base_library": "python",
    }
    return aliases.get(name.lower(), name)


def by_library(bundle: Path) -> Counter:
    internal = next((p for p in (bundle / "_internal", bundle / "Contents" / "Frameworks") if p.is_dir()), bundle)
    sizes = Counter()
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink():
            top = path.relative_to(internal).parts[0] if path.is_relative_to(internal) else "(executables)"
            sizes[library(top)] += path.stat().st_size
    return sizes


def table(*bundles: Path) -> str:
    columns = [by_library(b) for b in bundles]
    names = sorted(set().union(*columns), key=lambda n: -max(c[n] for c in columns))
    mb = lambda n: f"{n / 1e6:,.1f}"  # noqa: E731
    rows = [f"| library | {' | '.join(str(b) for b in bundles)} |", "| --- |" + " ---: |" * len(bundles)]
    rows += [f"| {name} | {' | '.join(mb(c[name]) for c in columns)} |" for name in names]
    rows.append(f"| **total** | {' | '.join(mb(sum(c.values())) for c in columns)} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(*map(Path, sys.argv[1:])))
