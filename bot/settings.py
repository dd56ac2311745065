"""Configuration from `PINTU_*` environment variables and an optional `.env` file.

The variable names of DESIGN §5 are a fixed contract; the extra knobs below
are timings and limits that tests and deployments tune.
"""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
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
    unit_name: str = Field(
        default="Polda", min_length=1, max_length=200, description="The root unit's name."
    )
    internal_affairs_unit: str = Field(
        default="propam",
        pattern=r"^[a-z0-9-]{1,40}$",
        description="Code of the internal-affairs unit, created under the root at start; "
        "complaints about officers' conduct are filed there.",
    )

    # Not part of the fixed contract: local paths, timings and limits.
    var_dir: Path = Path("./var")
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs web-chat browser tokens; generated into var_dir when unset.",
    )
    evidence_key: SecretStr | None = Field(
        default=None,
        description="Keys the evidence hash officers see of an anonymous report's files; "
        "unset: derived from the secret key.",
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
    outbox_outage_retry_seconds: float = Field(
        default=15.0,
        gt=0,
        description="While a platform is down (sends to several chats fail with 5xx, timeouts "
        "or refused connections, none succeeds), the longest wait between tries. Such "
        "failures use up no attempt (PINTU_OUTBOX_MAX_ATTEMPTS): an outage buries nothing.",
    )
    sender_takeover_seconds: float = Field(
        default=5.0,
        gt=0,
        description="With several workers on PostgreSQL: how often a worker tries to take a "
        "channel's sending (one worker holds each channel), and how often the holder checks "
        "it still holds it. A dead holder's channels are taken over within this time.",
    )
    idle_sweep_seconds: float = 60.0
    web_poll_wait_seconds: float = 25.0
    web_poll_recheck_seconds: float = Field(
        default=1.0,
        gt=0,
        description="A waiting web-chat long poll looks for new messages at least this often: "
        "with several workers, a message another worker sent wakes nobody in this one.",
    )
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
    duty_alert_group_seconds: float = Field(
        default=20.0,
        ge=0,
        description="After an alert message to the duty group, new alerts and re-sends wait "
        "this long and then go together in one message listing their references.",
    )
    duty_alert_max_per_minute: int = Field(
        default=3,
        ge=1,
        description="At most this many alert messages (single or grouped) to the duty group "
        "in any minute; the alerts waiting go in the next one.",
    )
    sla_first_response_days: int = Field(
        default=3, ge=1, le=365, description="A complaint's first answer, in working days."
    )
    sla_follow_up_days: int = Field(
        default=5,
        ge=1,
        le=365,
        description="The handling unit's follow-up after the first answer, in working days.",
    )
    sla_resolution_days: int = Field(
        default=60, ge=1, le=3650, description="A complaint's resolution, in calendar days."
    )
    sla_incident_minutes: dict[str, int] = Field(
        default_factory=lambda: {"urgent": 15, "high": 120, "normal": 24 * 60},
        description="An incident report's first answer, in minutes, by priority (JSON).",
    )
    sla_due_soon_share: float = Field(
        default=0.2,
        gt=0,
        lt=1,
        description="A clock is 'due soon' in this last share of its allowance.",
    )
    sla_sweep_seconds: float = Field(
        default=60.0, gt=0, description="How often the scheduler looks for SLA breaches."
    )
    sp2hp_interval_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="An open incident report with no officer reply for this long reminds "
        "its unit's supervisors that the reporter must hear of its progress (SP2HP).",
    )

    broadcast_approval_min: int = Field(
        default=100,
        ge=1,
        description="A broadcast to at least this many citizens needs a second admin's approval.",
    )
    whatsapp_broadcast_template: str | None = Field(
        default=None,
        description="Approved template carrying a broadcast to a WhatsApp citizen outside the "
        "24-hour window (its one body parameter is the announcement); unset: such citizens "
        "are skipped.",
    )
    broadcast_batch_size: int = Field(
        default=500, ge=1, description="Recipients enqueued per transaction of a broadcast."
    )
    broadcast_sweep_seconds: float = Field(
        default=5.0, gt=0, description="How often the scheduler looks for broadcasts due."
    )

    log_format: Literal["text", "json"] = Field(
        default="text",
        description="Log lines as text or as one JSON object each (with the correlation id).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="The least severe level logged."
    )
    whatsapp_max_body_bytes: int = Field(
        default=3_200_000,
        gt=0,
        description="Largest WhatsApp webhook body read before its signature is checked "
        "(Meta sends at most 3 MB); larger ones are answered 413 unread.",
    )
    media_download_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts (host or host:port) a platform may name for a media download besides "
        "its own; only these may be reached over plain http (the tests' fakes). JSON list.",
    )
    web_token_days: int = Field(
        default=30,
        ge=1,
        description="A web-chat token is refused (401) this many days after it was issued; "
        "the page then starts a new conversation by itself.",
    )
    web_sessions_per_address_per_hour: int = Field(
        default=60,
        ge=1,
        description="New web-chat sessions one client address may open per hour (a token "
        "bucket: this many at once, then refilled evenly); beyond, 429 with Retry-After. "
        "Generous: mobile carriers put many citizens behind one address.",
    )
    trusted_proxies: str = Field(
        default="127.0.0.1,::1",
        description="Comma-separated addresses or networks of the reverse proxies in front "
        "of pintu; only from them is X-Forwarded-For read (the rightmost address not itself "
        "a trusted proxy is the client's). Empty: the peer's address is the client's.",
    )
    web_uploads_per_session_per_day: int = Field(
        default=20, ge=1, description="Files one web-chat session may have stored per day."
    )
    web_upload_bytes_per_session_per_day: int = Field(
        default=60_000_000, ge=1, description="Bytes one web-chat session may store per day."
    )
    web_uploads_per_address_per_day: int = Field(
        default=200, ge=1, description="Files one client address may have stored per day."
    )
    web_upload_bytes_per_address_per_day: int = Field(
        default=500_000_000, ge=1, description="Bytes one client address may store per day."
    )
    media_orphan_days: float = Field(
        default=7.0,
        gt=0,
        description="A stored file that joined no case after this many days is deleted.",
    )
    media_sweep_seconds: float = Field(
        default=3600.0, gt=0, description="How often the scheduler deletes orphaned files."
    )

    # The catalogs shipped in the package (in a checkout, a link to the top-level locales/).
    locales_dir: Path = Path(__file__).resolve().parent / "locales"

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)  # a ValueError names it
        return value

    @property
    def trusted_proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        parts = (part.strip() for part in self.trusted_proxies.split(","))
        return tuple(ipaddress.ip_network(part, strict=False) for part in parts if part)

    @property
    def media_dir(self) -> Path:
        return self.var_dir / "media"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
