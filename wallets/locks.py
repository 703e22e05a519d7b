"""Every wallet row lock is taken here, always in primary-key order, so money movements never deadlock."""

from collections.abc import Iterable

from config.errors import NotFound
from wallets.models import Wallet


def lock_wallets(wallet_ids: Iterable[int | None]) -> dict[int, Wallet]:
    """Locks the given wallets (None ignored) with one query; must run inside a transaction."""
    ids = sorted({wallet_id for wallet_id in wallet_ids if wallet_id is not None})
    wallets = {wallet.pk: wallet for wallet in Wallet.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    if len(wallets) != len(ids):
        raise NotFound("Wallet not found.")
    return wallets
