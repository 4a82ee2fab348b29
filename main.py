"""LimeLight: the desktop app by default, or a command-line tool with a subcommand."""
import argparse
import sys
from pathlib import Path

COMMANDS = ("anonymize", "analyze", "export")


def _progress_bar():
    from tqdm import tqdm

    state = {"stage": None, "bar": None}

    def update(stage: str, done: int, total: int) -> None:
        if stage != state["stage"]:
            if state["bar"]:
                state["bar"].close()
            state["stage"], state["bar"] = stage, tqdm(total=total, desc=stage, unit="frame", leave=False,
                                                       dynamic_ncols=True, disable=None)
        bar = state["bar"]
        bar.total = max(bar.total, total)
        bar.update(done - bar.n)
    return update


def _parser() -> argparse.ArgumentParser:
    from engine import detect, render
    from engine.project import DetectorSettings

    parser = argparse.ArgumentParser(prog="limelight", description="Find, recognise and blur faces in video.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def detection(p):
        p.add_argument("--detector", choices=detect.NAMES, default=detect.DEFAULT)
        p.add_argument("--threshold", type=float, help="detection score threshold (lower finds more faces)")
        p.add_argument("--max-side", type=int, default=DetectorSettings.max_side,
                       help="detect on frames scaled down to this longest side (0: full size)")
        p.add_argument("--coarse-side", type=int, default=DetectorSettings.coarse_side,
                       help="between fine detections, detect on frames scaled down to this longest side "
                            "(0: always at --max-side)")
        p.add_argument("--stride", type=int, default=DetectorSettings.stride,
                       help="run the detector on every Nth frame (and on cuts and fast motion); 1: every frame")
        p.add_argument("--known-faces", nargs="+", default=[], metavar="PATH",
                       help="photos (or folders of photos) of people to keep visible; everyone else is blurred")

    def rendering(p):
        p.add_argument("--blur", choices=render.STYLES, help="anonymisation style (default gaussian)")
        p.add_argument("--shape", choices=render.SHAPES)
        p.add_argument("--strength", type=float)
        p.add_argument("--padding", type=float, help="region size relative to the detected face (default 1.3)")
        p.add_argument("--crf", type=int, help="H.264 quality, lower is better (default 18)")
        p.add_argument("--preset", help="x264 speed preset (default veryfast)")
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
    p = sub.add_parser("export", help="render a (possibly edited) project file to MP4")
    p.add_argument("project")
    p.add_argument("-o", "--output", required=True)
    rendering(p)
    return parser


def _export_settings(args, settings):
    from dataclasses import replace

    chosen = {"style": args.blur, "shape": args.shape, "strength": args.strength, "padding": args.padding,
              "crf": args.crf, "preset": args.preset, "keep_audio": args.keep_audio,
              "mark": args.mark_faces or None}
    return replace(settings, **{k: v for k, v in chosen.items() if v is not None})


def _detector_settings(args):
    from engine.project import DetectorSettings

    return DetectorSettings(name=args.detector, threshold=args.threshold, max_side=args.max_side or None,
                            coarse_side=args.coarse_side or None,
                            stride=max(1, args.stride))


def run(args) -> int:
    from engine import analyze, export, identities, project, stills
    from engine.job import Job

    job = Job(on_progress=_progress_bar())
    if args.command == "export":
        proj = project.load(args.project)
        proj.export = _export_settings(args, proj.export)
        export.check_output(args.output, proj.source.path)
        export.export(proj, args.output, job, project_path=args.project)
        print(f"wrote {args.output}")
        return 0
    if args.command == "anonymize":
        export.check_output(args.output, args.input)
    known = identities.load_known_faces(args.known_faces) if args.known_faces else []
    if args.command == "anonymize" and stills.is_image(args.input):
        count = export.anonymize_image(args.input, args.output, _detector_settings(args),
                                       _export_settings(args, project.ExportSettings()), known)
        print(f"wrote {args.output} ({count} face{'s' * (count != 1)} found)")
        return 0
    proj = analyze.analyze(args.input, _detector_settings(args), known, job,
                           recognise=args.command == "analyze" or bool(args.project))
    proj.known_faces = [str(Path(k).resolve()) for k in args.known_faces]
    kept = [i.name or f"#{i.id}" for i in proj.identities if i.decision == project.KEEP]
    summary = (f"{len(proj.tracks)} face tracks, {len(proj.identities)} people"
               f"{', kept: ' + ', '.join(kept) if kept else ''}")
    for person in proj.identities:
        if person.match is not None and person.match.status == identities.SUGGESTED:
            print(f"limelight: suggestion: person {person.id} may be {person.match.name} (distance "
                  f"{person.match.distance:.2f}); blurred until confirmed in the app")
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
    if not argv or argv[0] not in COMMANDS + ("-h", "--help"):
        from gui.app import run_gui

        return run_gui(argv)
    from engine.errors import Cancelled, UserError

    args = _parser().parse_args(argv)
    try:
        return run(args)
    except UserError as exc:
        print(f"limelight: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except (KeyboardInterrupt, Cancelled):
        print("limelight: cancelled; no output written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
