"""Invoice profiles ("invoice information"): type, header and VAT-special bank details."""
