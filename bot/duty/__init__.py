"""The duty desk: desks and their areas, alerts raised for urgent cases, the
duty officers' Telegram group, acknowledgement, re-sends and escalation.

May import `bot.domain`, `bot.language`, `bot.storage`, `bot.outbox` and
`bot.services`; never `bot.ingress`, `bot.handlers` or the back-office.
"""
