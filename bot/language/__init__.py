"""Reading citizens' words: intents, emergencies, loose times, word lists.

Pure matchers over text (rapidfuzz and the word lists in `data/` beside
them). May import `bot.domain` only; no database, HTTP or platform library.
"""
