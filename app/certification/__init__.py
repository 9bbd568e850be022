"""Enterprise certification: one per account, the header every invoice must carry."""
