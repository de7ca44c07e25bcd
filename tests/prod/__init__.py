"""Production topology tests (PostgreSQL, Redis, replicas)."""
