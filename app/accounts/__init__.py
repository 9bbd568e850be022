"""Accounts, cash balances and API keys (billing role); the customer's own view of its account,
`GET /v1/account`, is app/my_account/."""
