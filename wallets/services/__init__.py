"""Wallet writes, one module per subject; every money movement goes through movements.money_move."""
