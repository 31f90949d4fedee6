"""Brandwave adapter: Brandwave's conversion routes on our services (see docs/migration-brandwave.md)."""
