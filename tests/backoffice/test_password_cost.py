"""Production hashes passwords at Argon2's recommended cost; only tests turn it down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backoffice import security
from bot.settings import Settings


@pytest.fixture
def cost_restored() -> Iterator[None]:
    yield
    security.use_password_cost(security.PasswordCost.TESTS_ONLY)


async def test_a_deployment_hashes_at_the_recommended_cost(cost_restored: None) -> None:
    deployed = Settings(_env_file=None)  # type: ignore[call-arg]
    security.use_password_cost(security.PasswordCost(deployed.password_cost))
    hashed = await security.hash_password("sangat-rahasia-1")
    assert "$m=65536,t=3,p=4$" in hashed
    assert await security.verify_password("sangat-rahasia-1", hashed)


async def test_a_cheap_hash_still_verifies_after_the_cost_goes_up(cost_restored: None) -> None:
    security.use_password_cost(security.PasswordCost.TESTS_ONLY)
    cheap = await security.hash_password("sangat-rahasia-1")
    assert "$m=8,t=1,p=1$" in cheap
    security.use_password_cost(security.PasswordCost.RECOMMENDED)
    assert await security.verify_password("sangat-rahasia-1", cheap)
    assert not await security.verify_password("salah-rahasia-1", cheap)
