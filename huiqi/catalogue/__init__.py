"""The public policy catalogue: every published policy, searchable without an account."""
