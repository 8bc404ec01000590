"""Accounts: users, their scoped roles, passwords, API tokens, and who may do what."""
