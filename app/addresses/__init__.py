"""Mailing addresses ("sending information"): where paper and electronic invoices go."""
