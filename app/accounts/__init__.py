"""Accounts, cash balances and API keys (billing role), and the customer's own account view."""
