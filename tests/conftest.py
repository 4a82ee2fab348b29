import pytest

from tests.helpers import CLIP, HAMILTON, PERFORMER, cli


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
