"""Invoice requests: creation with amount reservation, and the finance lifecycle."""
