"""Utilities shared across mmlean (kept free of heavy imports)."""
