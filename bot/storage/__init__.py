"""Persistence: tables, engine, migrations."""
