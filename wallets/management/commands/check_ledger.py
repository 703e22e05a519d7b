"""`manage.py check_ledger`: verifies every money invariant; exits 1 naming each broken one."""

from django.core.management.base import BaseCommand, CommandError

from wallets import ledger
from wallets.models import Transfer, Wallet


class Command(BaseCommand):
    help = "Verify the ledger's invariants over the whole database; exit non-zero when one is broken."

    def handle(self, *args, **options):
        problems = ledger.ledger_violations()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"ledger check failed: {len(problems)} problem(s)")
        self.stdout.write(
            f"ledger OK: {Wallet.objects.count()} wallets, {Transfer.objects.count()} transfers, every invariant holds"
        )
