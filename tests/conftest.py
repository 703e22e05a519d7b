# The wallet tests' signed-in people and their club (a channel, a group wallet, funded wallets).
from wallets.tests.conftest import club, person  # noqa: F401
