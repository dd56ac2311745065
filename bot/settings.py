"""Configuration from `PINTU_*` environment variables and an optional `.env` file.

The variable names of DESIGN §5 are a fixed contract; the extra knobs below
are timings and limits that tests and deployments tune.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting of one pintu process."""

    model_config = SettingsConfigDict(env_prefix="PINTU_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./var/pintu.db"
    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    whatsapp_access_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_api_url: str = "https://graph.facebook.com/v25.0"
    admin_username: str = "admin"
    admin_password: SecretStr | None = None
    survey_delay_seconds: int = 3600
    survey_min_interval_days: int = Field(
        default=7,
        ge=0,
        description="No citizen gets more than one survey invitation in this many days "
        "(a case's own after-close survey excepted).",
    )
    duty_telegram_chat_id: str | None = None
    login_lockout_seconds: int = Field(
        default=900,
        gt=0,
        description="After 5 wrong passwords for one username within this time, that "
        "username is locked out for this time.",
    )
    timezone: str = "Asia/Jakarta"
    default_locale: str = "id"

    # Not part of the fixed contract: local paths, timings and limits.
    var_dir: Path = Path("./var")
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs web-chat browser tokens; generated into var_dir when unset.",
    )
    password_cost: Literal["recommended", "tests-only"] = Field(
        default="recommended",
        description="Argon2 cost of new officer passwords; 'tests-only' is for the test suite.",
    )
    conversation_idle_seconds: int = 1800
    flood_messages_per_minute: int = 30
    token_ttl_seconds: int = 8 * 3600
    password_checks_concurrent: int = Field(
        default=2,
        ge=1,
        description="Password verifications running at once (each holds Argon2's 64 MiB).",
    )
    password_checks_waiting: int = Field(
        default=16,
        ge=0,
        description="Sign-ins waiting for a verification; beyond this they get 503 at once.",
    )
    max_request_bytes: int = 1_000_000
    max_upload_bytes: int = 10_000_000
    outbox_max_attempts: int = 8
    outbox_poll_seconds: float = 1.0
    outbox_backoff_base_seconds: float = 2.0
    outbox_backoff_max_seconds: float = 300.0
    idle_sweep_seconds: float = 60.0
    web_poll_wait_seconds: float = 25.0
    telegram_timeout_seconds: float = 10.0
    telegram_messages_per_second: float = 30.0
    telegram_chat_messages_per_second: float = 1.0
    telegram_chat_burst: float = 3.0
    whatsapp_timeout_seconds: float = 10.0
    whatsapp_messages_per_second: float = Field(
        default=80.0, description="Throughput of the business number (Meta's default tier)."
    )
    whatsapp_pair_burst: float = Field(
        default=40.0,
        description="Messages to one citizen before the pair rate applies (Meta allows bursts "
        "of up to 45, borrowed from the pair quota).",
    )
    whatsapp_pair_seconds: float = Field(
        default=6.0, description="Then one message to the same citizen per this many seconds."
    )
    whatsapp_spam_pause_seconds: float = Field(
        default=3600.0, description="Sending stops this long after error 131048 (spam limit)."
    )
    whatsapp_reply_template: str | None = Field(
        default=None,
        description="Approved template telling a citizen outside the 24-hour window that an "
        "officer replied; its one body parameter is the case reference.",
    )
    whatsapp_update_template: str | None = Field(
        default=None,
        description="Approved template for status news outside the window (a case closed, "
        "an application's status changed); its one body parameter is the case reference "
        "or the application number.",
    )
    whatsapp_template_languages: dict[str, str] = Field(
        default_factory=lambda: {"id": "id", "en": "en"},
        description="Template language code per citizen locale (JSON in the environment).",
    )
    whatsapp_template_parameter: str | None = Field(
        default=None,
        description="Name of the templates' reference parameter; unset: positional ({{1}}).",
    )
    whatsapp_survey_template: str | None = Field(
        default=None,
        description="Approved template inviting a citizen outside the 24-hour window to a "
        "survey; its one body parameter is the case reference or application number (or the "
        "survey's code). Unset: such invitations are skipped.",
    )
    survey_sweep_seconds: float = Field(
        default=60.0, gt=0, description="How often the scheduler sends the survey invitations due."
    )
    duty_desks_file: Path | None = Field(
        default=None,
        description="JSON file of the duty desks (see bot/data/README.md); unset: the SAMPLE.",
    )
    duty_ack_seconds: int = Field(
        default=180,
        gt=0,
        description="An urgent alert nobody acknowledged is sent again, escalated, after this.",
    )
    duty_max_escalations: int = Field(
        default=10, ge=0, description="Re-sends of one unacknowledged alert before they stop."
    )
    duty_sweep_seconds: float = Field(
        default=15.0, gt=0, description="How often the scheduler looks for alerts to re-send."
    )

    # The catalogs shipped in the package (in a checkout, a link to the top-level locales/).
    locales_dir: Path = Path(__file__).resolve().parent / "locales"

    @property
    def media_dir(self) -> Path:
        return self.var_dir / "media"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
