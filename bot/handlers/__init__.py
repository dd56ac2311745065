"""One module per channel; each implements `bot.handlers.base.ChannelHandler`."""
