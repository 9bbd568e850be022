"""Webhooks: endpoints subscribe to the events feed; the worker posts to them, signed (docs/WEBHOOKS.md)."""
