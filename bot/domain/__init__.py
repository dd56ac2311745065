"""The vocabulary every part of pintu shares, without I/O.

Holds the channel-neutral messages (`Inbound`, `Outbound`, `Choice`), the
channel contract with its events and send errors (`channel`), case
references, the clock seam, the translator, and the values flows and
services exchange: applications and lookup results, FAQ entries, duty desks.
Imports nothing of pintu but `bot.settings`; no database, HTTP,
web-framework or platform library.
"""
