# The wallet tests' signed-in people and their club (a channel, a group wallet, funded wallets).
# Live web nodes for the tests of this folder (the chat tests' environment).
from chat.tests.conftest import server_environment  # noqa: E402, F401
from wallets.tests.conftest import club, person  # noqa: F401
