"""Topmail adapter (see docs/migration.md)."""
