"""The PostgreSQL backend: matching inside the operational database (small deployments)."""
