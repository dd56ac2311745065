"""The officers' back-office: the API under /api/v1 (and later the web inbox).

Services (`cases`, `officers`, `applications`, `faq`, `alerts`, `audit`,
`media`) work in an ORM session; `schemas` holds the request and response
bodies; `api` the routes. May import `bot`'s domain, services, storage and
`bot.runtime`; `bot` never imports it, except the composition root
(`bot.app`, `bot.cli`).
"""
