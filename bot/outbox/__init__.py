"""Outgoing messages: rows first (`queue`), then sent by one loop (`sender`)."""
