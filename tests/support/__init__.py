"""Helpers the tests share: a citizen on the web chat, an officer on the API."""
