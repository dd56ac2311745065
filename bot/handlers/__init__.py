"""The channels: one module (or package) per platform, each translating
requests into inbound events and outbound messages into platform calls
(`bot.domain.channel.ChannelHandler`). They decide nothing.

May import every `bot` package below it and `bot.runtime`; never the
back-office.
"""
