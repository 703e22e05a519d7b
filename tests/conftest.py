# The wallet fixtures (people with wallets, a club with a group wallet) for the cross-app tests here.
from wallets.tests.conftest import club, person  # noqa: F401
