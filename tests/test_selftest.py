"""The installed app's self-test, run from the source tree: every model and the whole pipeline."""

from tests.helpers import cli


def test_selftest_passes():
    done = cli("--selftest")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "self-test passed" in done.stdout
    assert done.stdout.count("ok    ") == 6
    assert done.stdout.count("skip  ") == 1 and "skip  detector dlib-hog" in done.stdout
