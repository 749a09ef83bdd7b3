"""HTML views of accounts, one module per sub-domain (getting into an account, structures and
members, the person's own account)."""
