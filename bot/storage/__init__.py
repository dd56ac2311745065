"""Persistence: SQLModel tables, the engine tuned per dialect, plain SQL on
the hot path's writer (`direct`), Alembic migrations.

May import `bot.settings` and `bot.domain` only.
"""
