"""The channels: one module (or package) per platform, each parsing requests
into events and rendering outbound messages into platform calls
(`bot.domain.channel.ChannelHandler`). They decide nothing and keep no
books: no SQL here; what an event means for the database is
`bot.ingress.intake`'s.

May import every `bot` package below it and `bot.runtime`; never the
back-office.
"""
