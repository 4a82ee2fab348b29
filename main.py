"""LimeLight: the desktop app by default, or a command-line tool with a subcommand."""

import argparse
import difflib
import os
import signal
import sys
from pathlib import Path

# numpy's OpenBLAS starts a thread per core when it loads, and each spins for a while: importing numpy took 0.29
# CPU-s here with two and 0.16 with one, and the window 0.85 against 0.78 to open. LimeLight has no product large
# enough to use them (its largest is a distance matrix between a video's tracks); networks run on LiteRT's and
# OpenCV's own threads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from engine.records import Action, ExportSettings, MatchStatus

COMMANDS = ("anonymize", "analyze", "export", "batch")


class Parser(argparse.ArgumentParser):
    """Usage errors on one line, as every other error, with the nearest valid word suggested."""

    def error(self, message: str):
        wrong = message.split("'")[1] if "'" in message else ""
        if message.startswith("unrecognized arguments"):
            wrong = message.split(": ", 1)[1].split()[0]
        parsers = [self] + [
            p for a in self._actions if isinstance(a, argparse._SubParsersAction) for p in a.choices.values()
        ]
        valid = {w for p in parsers for a in p._actions for w in [*a.option_strings, *(a.choices or ())]}
        near = difflib.get_close_matches(wrong.split("=")[0], valid, n=1)
        hint = f"; did you mean {near[0]}?" if near else f"; see {self.prog} --help"
        self.exit(2, f"limelight: error: {message.splitlines()[0]}{hint}\n")


def _number(kind, low=None, high=None, zero=False):
    """An argparse type that refuses values outside [low, high] (0 also allowed when `zero`)."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a {'whole ' * (kind is int)}number") from None
        if not (zero and value == 0) and ((low is not None and value < low) or (high is not None and value > high)):
            span = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"{value} is out of range: give {'0 or ' * zero}{span}")
        return value

    return parse


def _progress_bar():
    from tqdm import tqdm

    state = {"stage": None, "bar": None}

    def update(stage: str, done: int, total: int) -> None:
        if stage != state["stage"]:
            if state["bar"]:
                state["bar"].close()
            state["stage"], state["bar"] = (
                stage,
                tqdm(total=total, desc=stage, unit="frame", leave=False, dynamic_ncols=True, disable=None),
            )
        bar = state["bar"]
        bar.total = max(bar.total, total)
        bar.update(done - bar.n)

    return update


def _parser() -> argparse.ArgumentParser:
    from engine import detect, render
    from engine.project import CRF_RANGE, PRESETS
    from engine.records import DetectorSettings

    parser = Parser(prog="limelight", description="Find, recognise and blur faces in video.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def detection(p):
        p.add_argument("--detector", choices=detect.NAMES, default=detect.DEFAULT)
        p.add_argument(
            "--threshold", type=_number(float, 0, 1), help="detection score threshold (lower finds more faces)"
        )
        p.add_argument(
            "--max-side",
            type=_number(int, 64, zero=True),
            default=DetectorSettings.max_side,
            help="detect on frames scaled down to this longest side (0: full size)",
        )
        p.add_argument(
            "--coarse-side",
            type=_number(int, 64, zero=True),
            default=DetectorSettings.coarse_side,
            help="between fine detections, detect on frames scaled down to this longest side (0: always at --max-side)",
        )
        p.add_argument(
            "--stride",
            type=_number(int, 1),
            default=DetectorSettings.stride,
            help="run the detector on every Nth frame (and on cuts and fast motion); 1: every frame",
        )
        p.add_argument(
            "--known-faces",
            nargs="+",
            default=[],
            metavar="PATH",
            help="photos (or folders of photos) of people to keep visible; everyone else is blurred",
        )

    def rendering(p):
        p.add_argument("--blur", choices=render.STYLES, help="anonymisation style (default gaussian)")
        p.add_argument("--shape", choices=render.SHAPES)
        p.add_argument("--strength", type=_number(float, 0.1, 10))
        p.add_argument(
            "--padding", type=_number(float, 1, 4), help="region size relative to the detected face (default 1.3)"
        )
        p.add_argument("--crf", type=_number(int, *CRF_RANGE), help="H.264 quality, lower is better (default 18)")
        p.add_argument("--preset", choices=PRESETS, help="x264 speed preset (default veryfast)")
        p.add_argument("--mark-faces", action="store_true", help="outline faces for review instead of blurring")
        p.add_argument("--keep-audio", dest="keep_audio", action="store_true", default=None)
        p.add_argument("--no-audio", dest="keep_audio", action="store_false")

    p = sub.add_parser("anonymize", help="blur every face but known ones, in a video or a photo")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("-p", "--project", help="also save the project file here, to review or re-export later")
    detection(p)
    rendering(p)
    p = sub.add_parser("analyze", help="find and recognise faces; writes the project file")
    p.add_argument("input")
    p.add_argument("-p", "--project", help="project file (default: beside the video)")
    detection(p)
    p = sub.add_parser("export", help="render a (possibly edited) project file to MP4 (.mov, .mkv: that container)")
    p.add_argument("project")
    p.add_argument("-o", "--output", required=True)
    rendering(p)
    p = sub.add_parser("batch", help="anonymize many videos and photos (files or folders) into one folder")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="videos, photos or folders (searched recursively)")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT_DIR",
        help="folder for the outputs, mirroring the inputs' folders, and the batch summary",
    )
    p.add_argument("--workers", type=int, help="files at a time on this machine (default: by cores and memory)")
    p.add_argument("--ray", metavar="ADDRESS", help="run on an existing Ray cluster (needs the 'ray' package)")
    p.add_argument(
        "--split",
        type=int,
        metavar="PARTS",
        help="one video at a time, each analysed and encoded in PARTS segments side by side: for a few long videos "
        "on more cores or cluster nodes than videos (frame times and audio exact; pixels may differ from "
        "'anonymize' by encoding noise at the joins)",
    )
    detection(p)
    rendering(p)
    return parser


def _export_settings(args, settings):
    from dataclasses import replace

    chosen = {
        "style": args.blur,
        "shape": args.shape,
        "strength": args.strength,
        "padding": args.padding,
        "crf": args.crf,
        "preset": args.preset,
        "keep_audio": args.keep_audio,
        "mark": args.mark_faces or None,
    }
    return replace(settings, **{k: v for k, v in chosen.items() if v is not None})


def _detector_settings(args):
    from engine.records import DetectorSettings

    return DetectorSettings(
        name=args.detector,
        threshold=args.threshold,
        max_side=args.max_side or None,
        coarse_side=args.coarse_side or None,
        stride=args.stride,
    )


def _warn(message: str) -> None:
    from tqdm import tqdm

    tqdm.write(f"limelight: warning: {message}", file=sys.stderr)


def _stop(signum, frame) -> None:
    """SIGTERM (a session ending, a job runner) unwinds like Ctrl+C, so the temp output is removed."""
    raise KeyboardInterrupt(signum)


def _is_video_path(arg: str) -> bool:
    return Path(arg).exists() or bool(Path(arg).suffix) or "/" in arg or "\\" in arg


def run(args) -> int:
    from engine import analyze, export, identities, project, stills
    from engine.job import Job

    if args.command == "batch":
        from engine import batch

        return batch.command(args, _detector_settings(args), _export_settings(args, ExportSettings()))
    job = Job(on_progress=_progress_bar(), on_warning=_warn)
    if args.command == "export":
        proj = project.load(args.project)
        proj.export = _export_settings(args, proj.export)
        export.check_output(args.output, proj.source.path)
        export.export(proj, args.output, job, project_path=args.project)
        print(f"wrote {args.output}")
        return 0
    if args.command == "anonymize":
        export.check_output(args.output, args.input)
    if args.command == "analyze" or args.project:
        export.check_output(args.project or project.default_path(args.input), args.input)
    known = identities.load_known_faces(args.known_faces) if args.known_faces else []
    if args.command == "anonymize" and stills.is_image(args.input):
        count = export.anonymize_image(
            args.input, args.output, _detector_settings(args), _export_settings(args, ExportSettings()), known
        )
        print(f"wrote {args.output} ({count} face{'s' * (count != 1)} found)")
        return 0
    proj = analyze.analyze(
        args.input, _detector_settings(args), known, job, recognise=args.command == "analyze" or bool(args.project)
    )
    proj.known_faces = [str(Path(k).resolve()) for k in args.known_faces]
    kept = [i.name or f"#{i.id}" for i in proj.identities if i.decision == Action.KEEP]
    summary = (
        f"{len(proj.tracks)} face tracks, {len(proj.identities)} people{', kept: ' + ', '.join(kept) if kept else ''}"
    )
    for person in proj.identities:
        if person.match is not None and person.match.status == MatchStatus.SUGGESTED:
            print(
                f"limelight: suggestion: person {person.id} may be {person.match.name} (distance "
                f"{person.match.distance:.2f}); blurred until confirmed in the app"
            )
    if args.command == "analyze" or args.project:
        path = args.project or project.default_path(args.input)
        project.save(proj, path)
        print(f"wrote {path}: {summary}")
    if args.command == "anonymize":
        proj.export = _export_settings(args, proj.export)
        export.export(proj, args.output, job)
        print(f"wrote {args.output}: {summary}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--selftest"]:
        from engine.selftest import run as selftest

        return selftest()
    if not argv or (
        len(argv) == 1 and argv[0] not in COMMANDS and not argv[0].startswith("-") and _is_video_path(argv[0])
    ):
        from gui.app import run_gui

        return run_gui(argv)
    if argv[0] not in COMMANDS and not argv[0].startswith("-"):
        near = difflib.get_close_matches(argv[0], COMMANDS, n=1)
        hint = f"did you mean '{near[0]}'?" if near else f"commands: {', '.join(COMMANDS)}"
        print(f"limelight: error: unknown command '{argv[0]}'; {hint}", file=sys.stderr)
        return 2
    from engine.errors import Cancelled, UserError

    args = _parser().parse_args(argv)
    if args.command is None:
        print(f"limelight: error: give a command: {', '.join(COMMANDS)} (see --help)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop)
    try:
        return run(args)
    except UserError as exc:
        print(f"limelight: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except (KeyboardInterrupt, Cancelled) as exc:
        signum = exc.args[0] if exc.args and isinstance(exc.args[0], int) else signal.SIGINT
        print(f"limelight: cancelled ({signal.Signals(signum).name}); no output written", file=sys.stderr)
        return 128 + signum
    except Exception as exc:  # a bug: still one line, and a code of its own so scripts can tell
        print(f"limelight: error: internal error, please report it ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    # In the frozen bundle `batch` workers are copies of this executable; this hands them to multiprocessing.
    import multiprocessing

    multiprocessing.freeze_support()
    sys.exit(main())
