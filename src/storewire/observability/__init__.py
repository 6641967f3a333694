"""Observability: logging setup for entry points (metrics and audit follow)."""
