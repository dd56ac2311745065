"""Case references (DESIGN §6, fixed): ``PGD-`` or ``LPR-`` and six random characters.

The alphabet leaves out 0/O/1/I so a reference can be read aloud; the
characters come from `secrets`, so references are neither sequential nor
guessable.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
PREFIXES = {"complaint": "PGD", "incident": "LPR"}
REFERENCE_PATTERN = re.compile(r"\b(?:PGD|LPR)-[23456789A-HJ-NP-Z]{6}\b")


def new_reference(prefix: str) -> str:
    return prefix + "-" + "".join(secrets.choice(ALPHABET) for _ in range(6))
