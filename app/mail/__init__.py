"""Email: bilingual templates, message building, SMTP or .eml transport, and the mail job."""
