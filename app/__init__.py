"""invoicing: the invoice-management service of the SaaS billing center."""
