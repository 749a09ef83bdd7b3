"""HTML views of accounts, one module per sub-domain (structures and members, the person's own account)."""
