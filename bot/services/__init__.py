"""Domain services that read and write the database: cases, applications,
FAQ entries, duplicate links.

They run inside the caller's transaction (`bot.storage.direct.Tx`) or their
own session. May import `bot.domain`, `bot.language`, `bot.storage`,
`bot.media` and `bot.outbox`; never the engine's callers (`bot.ingress`,
`bot.handlers`) nor the back-office.
"""
