"""Stripe checkout and webhooks, credits ledger."""
