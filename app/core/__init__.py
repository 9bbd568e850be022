"""Pieces every domain area shares: settings, database, auth, errors, money, pagination."""
