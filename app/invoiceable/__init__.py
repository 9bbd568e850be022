"""What a customer can request now: the invoiceable summary and the blockers shared with creation."""
