"""The calling customer's own account (`GET /v1/account`): its balance, deficit and certification.

Its own package, above both `app/accounts` and `app/certification` (the certification depends on
accounts, so accounts cannot show it without an import circle)."""
