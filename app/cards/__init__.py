"""Stored-value cards bought by customers; invoiceable at the amount paid."""
