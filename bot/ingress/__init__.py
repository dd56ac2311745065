"""The one way in: a channel's parsed inbound events become one transaction.

The runner deduplicates, keeps dead letters, loads the conversation, runs the
pure engine and writes its effects (cases, outbox rows) on the hot path's
writer, answering the channel only after commit. May import every `bot`
package below it (domain, language, engine, flows, storage, media, outbox,
services, duty); never `bot.handlers` or the back-office.
"""
