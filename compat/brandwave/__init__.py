"""Brandwave adapter (see docs/migration.md)."""
