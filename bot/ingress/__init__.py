"""The one way in: the events a channel parsed become committed facts.

`intake` takes every channel's events (`bot.domain.channel.Event`) and keeps
the books channels never keep: deduplication, dead letters, status dedupe
and delivery updates, identity reconciliation (`identity`), attachment
fetching and the retry without a refused file. `runner` group-commits the
citizens' messages: loads the conversation, runs the pure engine and writes
its effects (`hotpath`: cases, outbox rows) on the hot path's writer,
answering only after commit. May import every `bot` package below it
(domain, language, engine, flows, storage, media, outbox, services, duty);
never `bot.handlers` or the back-office.
"""
