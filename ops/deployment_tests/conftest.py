"""These tests start containers: bin/test-deployment runs them, bin/test does not.

bin/test's pytest loads this file as a conftest, which keeps the tests out of its run;
bin/test-deployment runs pytest with --noconftest and loads it as a plugin (-p) for the fixture.
"""

import time

import pytest

collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session")
def images():
    """Every image, built only where its inputs changed (tags are hashes of them)."""
    from ops.deployment import build_images

    started = time.monotonic()
    tags = build_images()
    print(f"\nimages ready in {time.monotonic() - started:.0f} s: {tags}")
    return tags
