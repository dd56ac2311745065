"""The conversation engine: given a stored conversation and one input, what
to say and what to record (`core`), with the flows' step types (`flow`).

Pure: may import `bot.domain` and `bot.language` only; no database, HTTP,
web-framework or platform library, directly or through what it imports.
"""
