"""Files citizens send: stored as received and hashed (`store`), with a copy
stripped of metadata for anonymous reports (`clean`).

May import `bot.domain` only.
"""
