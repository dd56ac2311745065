"""The conversation engine: given a stored conversation and one input, what
to say and what to record (`core`), with the flows' step types (`flow`), typed
answers (`answers`), the interruptions a conversation can wait on (`waits`,
one module each, found by name) and the stored JSON (`stored`).

Pure: may import `bot.domain` and `bot.language` only; no database, HTTP,
web-framework or platform library, directly or through what it imports
(tests/engine/test_purity.py checks in a fresh interpreter).
"""
