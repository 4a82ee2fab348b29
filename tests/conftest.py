import os
import signal
import subprocess
import sys
import time

import pytest

from tests.helpers import CLIP, HAMILTON, PERFORMER, cli, free_port


def pytest_sessionstart(session):
    if not CLIP.is_file():
        raise pytest.UsageError(f"test footage missing: {HAMILTON} (../shared must sit beside the repository)")


@pytest.fixture(scope="session")
def anonymized(tmp_path_factory):
    """The headline job, run once through the real command line: hamilton clip, performer whitelisted."""
    folder = tmp_path_factory.mktemp("anonymized")
    output, project = folder / "out.mp4", folder / "clip.limelight.json"
    done = cli("anonymize", CLIP, "-o", output, "--known-faces", PERFORMER, "--blur", "gaussian", "-p", project)
    assert done.returncode == 0, done.stderr
    return output, project


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory):
    """A one-node cluster of the tests' own (batch and segments), on 127.0.0.1 only. Started with --block and
    stopped through that process, rather than `ray stop`, which would also stop any other Ray cluster here."""
    pytest.importorskip("ray", reason="ray is not installed (the batch scale-out extra in requirements.txt)")
    # Without this, Ray swaps 127.0.0.1 for the machine's network address.
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
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
