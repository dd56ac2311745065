"""Outgoing messages: rows first (`queue`), sent by one loop (`sender`) at
each platform's pace (`pacing`); what officers see of their delivery
(`delivery`) and what could not be sent or read (`deadletters`).

May import `bot.domain` and `bot.storage`; channels reach it only through
the `bot.domain.channel` contract.
"""
