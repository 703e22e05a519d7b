# Live web nodes for the tests of this folder (the chat tests' environment); the wallet tests'
# signed-in people and their club (a channel, a group wallet, funded wallets); and the world of
# tests.api_world built on that club, for the tests that go over every operation of the document.
import pytest

from chat.tests.conftest import server_environment  # noqa: F401
from tests.api_world import build_world
from wallets.tests.conftest import club, person  # noqa: F401


@pytest.fixture
def world(club):  # noqa: F811 - the fixture imported above
    return build_world(club)
