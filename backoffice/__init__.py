"""The officers' back-office: the API under /api/v1 (and later the web inbox)."""
