"""The 422 answer to a request that fails validation, for every route.

FastAPI's own handler echoes each bad input back, and JSON has no NaN or
infinity: a `NaN` latitude (which Python's JSON reader accepts) made the
echo itself fail, a 500 instead of the 422. Here such numbers are echoed as
strings.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


async def validation_failed(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)  # registered for this type only
    detail = _finite(jsonable_encoder(error.errors()))
    return JSONResponse(status_code=422, content={"detail": detail})


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value
