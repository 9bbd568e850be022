"""The billing-center console: the single-page app built from `web/`, served at `/console/`."""
