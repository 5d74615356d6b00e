import pytest


@pytest.fixture(autouse=True)
def _job_files(settings, tmp_path):
    """Each test's job files in a directory of its own."""
    settings.JOB_FILES_DIR = tmp_path / "jobs"
