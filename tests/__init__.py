"""Tests of the project as a whole (the admin site, the API routes, schema and docs): they need every app, so they
live outside the layered packages (import-linter checks core, accounts, contacts, conversions, reporting)."""
