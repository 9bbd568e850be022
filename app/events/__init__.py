"""The transactional outbox and the events feed for internal services."""
