"""Rewards: which results earn what, and the idempotent ledger writes."""
