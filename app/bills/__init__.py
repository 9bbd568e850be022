"""Monthly bills fed by the billing engine; only their cash part is invoiceable."""
