"""Topmail adapter (see docs/migration-topmail.md): Topmail clients change only their base URL."""
