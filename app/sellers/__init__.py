"""Sellers: the issuing entities, and the tax terms every invoiceable item carries."""
