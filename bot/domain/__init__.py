"""The vocabulary every part of pintu shares, without I/O.

Holds the channel-neutral messages (`Inbound`, `Outbound`, `Choice`), the
channel contract and its send errors, case references, the clock seam and the
translator. Imports nothing of pintu but `bot.settings`; no database, HTTP,
web-framework or platform library.
"""
