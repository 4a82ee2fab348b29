import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from tests.helpers import CLIP, HAMILTON, OPENING_FRAMES, PERFORMER, cli, clip_part, free_port

# Session fixtures that cost a whole analysis or a cluster. pytest-xdist builds session fixtures once per worker, so
# the tests that use one of these are sent to one worker (see pytest_collection_modifyitems).
SHARED = {"anonymized", "close_up_analysed", "gui_analysis", "opening_analysed", "ray_cluster", "tensorflow"}


def pytest_configure(config):
    """Test workers side by side (pytest.ini) share the cores as a batch's jobs do (engine.pools): a detector with a
    thread per core in each only adds switching (the clip's detection took 11% more CPU with two threads than one
    on a loaded machine)."""
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if workers:
        from engine.pools import limit_threads

        limit_threads(max(1, (os.cpu_count() or 1) // int(workers)))


def pytest_sessionstart(session):
    if not CLIP.is_file():
        raise pytest.UsageError(f"test footage missing: {HAMILTON} (../shared must sit beside the repository)")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Units of work for `--dist loadgroup` (pytest.ini), marked before xdist reads the marks: tests that share a
    module fixture or a SHARED one run on one worker, which builds it once; any other test runs on whichever worker
    is free, which keeps the two busy to the end."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    anchors = {}
    for item in items:
        anchors[item] = [
            name if name in SHARED else f"{definitions[-1].baseid}::{name}"
            for name, definitions in item._fixtureinfo.name2fixturedefs.items()
            if name in SHARED or definitions[-1].scope == "module"
        ]
        for key in anchors[item][1:]:
            first, other = root(anchors[item][0]), root(key)
            if first != other:  # a SHARED fixture names its unit
                parent[first], parent[other] = (other, other) if other in SHARED else (first, first)
    for item, keys in anchors.items():
        if keys:
            item.add_marker(pytest.mark.xdist_group(root(keys[0])))


def pytest_terminal_summary(terminalreporter):
    """Figures a test measured for people to read, `record_property("figures", text)`: printed at the end, as a
    test worker's own output is not shown."""
    for report in terminalreporter.stats.get("passed", []):
        for name, text in report.user_properties:
            if name == "figures":
                terminalreporter.write_sep("-", report.nodeid.split("@")[0])
                terminalreporter.write_line(text)


@pytest.fixture
def limelight(capfd, monkeypatch):
    """The command line run in this process, `main.main(args)`, for claims about what it answers rather than about
    a process: a `cli` subprocess costs 0.4 CPU-s to start. Its output is read at the file descriptors, so a
    library writing there from C shows up as it would in a terminal. Arguments that would open the window fail
    the test instead: its event loop would never return here."""
    import main

    def window(argv):
        raise AssertionError(f"the command line opened the GUI for {argv}")

    monkeypatch.setitem(sys.modules, "gui.app", types.SimpleNamespace(run_gui=window))

    def run(*args) -> subprocess.CompletedProcess:
        terminate = signal.getsignal(signal.SIGTERM)  # main sets its own
        try:
            code = main.main([str(a) for a in args])
        except SystemExit as exc:  # argparse's usage errors and --help
            code = exc.code
        finally:
            signal.signal(signal.SIGTERM, terminate)
        out, err = capfd.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return run


@pytest.fixture(scope="session")
def tensorflow():
    """TensorFlow, for the tests that compare with Keras or the mtcnn package: its import alone costs 4 CPU-s, so
    they share one worker (SHARED) and pay it once."""
    from models.tensorflow import tensorflow

    return tensorflow()


@pytest.fixture(scope="session")
def anonymized(tmp_path_factory):
    """The headline job, run once through the real command line: hamilton clip, performer whitelisted."""
    folder = tmp_path_factory.mktemp("anonymized")
    output, project = folder / "out.mp4", folder / "clip.limelight.json"
    done = cli("anonymize", CLIP, "-o", output, "--known-faces", PERFORMER, "--blur", "gaussian", "-p", project)
    assert done.returncode == 0, done.stderr
    return output, project


@pytest.fixture(scope="session")
def opening(tmp_path_factory) -> Path:
    """The clip's first 144 frames: the wide shot, the pianist, the audience and the start of the performer's
    close-up, two shot changes, keyframes at frames 0, 60 and 120. For claims about how the pipeline runs (segments,
    checkpoints) rather than about the whole clip's faces: it analyses in half the time. Its close-up frames are the
    dearest to analyse; 24 of them are the fewest that still make three segments (test_segments) at 60 and 120."""
    return clip_part(tmp_path_factory.mktemp("opening") / "opening.mp4", 0, OPENING_FRAMES)


@pytest.fixture(scope="session")
def opening_analysed(opening):
    """The opening analysed with the default settings and without recognition (every track its own person): the
    unsplit, uninterrupted run that segments (test_segments) and a resumed checkpoint (test_editor_engine) must
    each give again."""
    from engine.analyze import analyze

    return analyze(opening, recognise=False)


@pytest.fixture(scope="session")
def close_up(tmp_path_factory) -> Path:
    """The performer's close-up, frames 120 to 210 of the clip: one shot, five faces, keyframes at its frames 0 and
    43. Analysed in a tenth of the clip's time, for claims that need a video, not a crowd."""
    return clip_part(tmp_path_factory.mktemp("close_up") / "close_up.mp4", 120, 211)


@pytest.fixture(scope="session")
def known():
    """The performer's photo as a known face."""
    from engine import identities

    return identities.load_known_faces([PERFORMER])


@pytest.fixture(scope="session")
def close_up_analysed(close_up, known):
    """The close-up analysed with the default settings and the performer known: the unsplit, uninterrupted run
    that segments (test_segments) and a resumed analysis (tests/gui/test_resume.py) must each give again. Known
    faces only decide who is kept: the tracks and how they are grouped into people are those of a run without."""
    from engine.analyze import analyze

    return analyze(close_up, known=known)


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory):
    """A one-node cluster of the tests' own (batch and segments), on 127.0.0.1 only. Started with --block and
    stopped through that process, rather than `ray stop`, which would also stop any other Ray cluster here."""
    pytest.importorskip("ray", reason="ray is not installed (the batch scale-out extra in requirements.txt)")
    # Without this, Ray swaps 127.0.0.1 for the machine's network address.
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    # Nor a token from ~/.ray, which a developer's own Ray may have left there (it reaches 127.0.0.1 only).
    env["RAY_AUTH_MODE"] = "disabled"
    # Workers Ray starts ahead, one per CPU, lack the job's code (engine.pools ships it), so none of them ever ran
    # a task: 1.8 CPU-s.
    env["RAY_enable_worker_prestart"] = env["RAY_prestart_worker_first_driver"] = "0"
    port = free_port()
    log = tmp_path_factory.mktemp("ray") / "start.log"
    command = [
        sys.executable,
        "-m",
        "ray.scripts.scripts",
        "start",
        "--head",
        "--block",
        "--node-ip-address",
        "127.0.0.1",
        "--port",
        port,
        "--num-cpus",
        2,
        "--include-dashboard",
        "false",
        # Neither the autoscaler nor the log monitor has work on one node whose workers' logs nobody reads
        # (engine.pools sets log_to_driver=False): 1.8 of the start's 8.4 CPU-s.
        "--no-monitor",
        "--include-log-monitor",
        "false",
        "--disable-usage-stats",
        "--temp-dir",
        log.parent,
        "--ray-client-server-port",
        free_port(),
        "--dashboard-agent-listen-port",
        free_port(),
    ]
    with open(log, "w") as sink:  # a file, not a pipe: a full pipe would stall the cluster
        head = subprocess.Popen(
            list(map(str, command)), env=env, start_new_session=True, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 300
        while "Ray runtime started" not in log.read_text() and head.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "Ray runtime started" in log.read_text() and head.poll() is None, log.read_text()
        yield f"127.0.0.1:{port}", env
    finally:
        head.terminate()
        try:
            head.wait(timeout=30)
        finally:
            try:
                os.killpg(head.pid, signal.SIGKILL)  # whatever of this cluster outlived its head
            except ProcessLookupError:
                pass
