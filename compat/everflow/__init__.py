"""Everflow adapter (see docs/migration.md)."""
