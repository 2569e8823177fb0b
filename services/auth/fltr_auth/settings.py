"""Settings of the auth service (plain names or ``FLTR_AUTH_``-prefixed)."""

from __future__ import annotations

from typing import Annotated, ClassVar
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, SecretStr
from pydantic_settings import NoDecode

from fltr_auth.billing.config import CreditPack, Plan, default_plans
from fltr_shared.settings import ServiceSettings, comma_separated, shared_secret_file

BETTER_AUTH_SECRET_FILE = "better-auth-secret"  # noqa: S105 (a file name)
API_KEY_HASH_SECRET_FILE = "api-key-hash-secret"  # noqa: S105 (a file name)


class AuthSettings(ServiceSettings):
    service_name: ClassVar[str] = "auth"
    service_env_prefix: ClassVar[str] = "FLTR_AUTH_"
    default_database_file: ClassVar[str] = "fltr_auth.db"

    port: int = Field(8001, ge=1, le=65535, description="Port to listen on.")
    better_auth_secret: SecretStr | None = Field(
        None,
        description="Signs session cookies and encrypts JWT keys; the same value as the "
        "Next.js frontend's BETTER_AUTH_SECRET. Required in production; generated into "
        "VAR_DIR otherwise.",
    )
    better_auth_url: str = Field(
        "http://127.0.0.1:8001",
        description="Public base URL of the auth API (https makes cookies __Secure-); its "
        "origin is the JWT issuer and audience and is always trusted.",
    )
    trusted_origins: Annotated[list[str], NoDecode, BeforeValidator(comma_separated)] = Field(
        default_factory=list,
        description="Other origins allowed to make cookie-authenticated changes and to be "
        "redirect targets (the frontend), comma-separated.",
    )
    session_expires_in_seconds: int = Field(604800, ge=60, description="Session lifetime (7 d).")
    session_update_age_seconds: int = Field(
        86400, ge=0, description="Refresh a session's expiry once it is this old (1 d)."
    )
    jwt_expires_in_seconds: int = Field(900, ge=30, le=86400, description="JWT lifetime (15 m).")
    redis_url: str | None = Field(
        None, description="Redis for rate limits shared across processes; memory when unset."
    )
    sign_in_rate_limit: str = Field(
        "10/minute", description="Sign-in and sign-up attempts per IP and per email."
    )

    email_verification_expires_in_seconds: int = Field(
        3600, ge=60, le=604800, description="Life of an email-verification link (1 h)."
    )
    password_reset_expires_in_seconds: int = Field(
        3600, ge=60, le=86400, description="Life of a password-reset link (1 h)."
    )
    smtp_host: str | None = Field(None, description="SMTP server; unset writes email to the log.")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port.")
    smtp_username: str | None = Field(None, description="SMTP user, if the server wants one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_from: str = Field("FLTR <no-reply@localhost>", description="Sender of FLTR's email.")
    smtp_starttls: bool = Field(True, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_timeout_seconds: float = Field(10.0, gt=0, le=120, description="SMTP timeout.")

    # Social sign-in (Better Auth's socialProviders): a provider is offered once both its
    # client id and secret are set. The endpoint URLs default to the real providers; tests
    # and self-hosted gateways point them elsewhere.
    google_client_id: str | None = Field(None, description="Google OAuth client id.")
    google_client_secret: SecretStr | None = Field(None, description="Google client secret.")
    google_authorization_url: str = Field(
        "https://accounts.google.com/o/oauth2/v2/auth", description="Google authorization URL."
    )
    google_token_url: str = Field(
        "https://oauth2.googleapis.com/token", description="Google token endpoint."
    )
    google_userinfo_url: str = Field(
        "https://openidconnect.googleapis.com/v1/userinfo",
        description="Google OpenID Connect userinfo endpoint.",
    )
    github_client_id: str | None = Field(None, description="GitHub OAuth app client id.")
    github_client_secret: SecretStr | None = Field(None, description="GitHub client secret.")
    github_authorization_url: str = Field(
        "https://github.com/login/oauth/authorize", description="GitHub authorization URL."
    )
    github_token_url: str = Field(
        "https://github.com/login/oauth/access_token", description="GitHub token endpoint."
    )
    github_userinfo_url: str = Field(
        "https://api.github.com/user", description="GitHub's /user endpoint."
    )
    github_emails_url: str = Field(
        "https://api.github.com/user/emails", description="GitHub's /user/emails endpoint."
    )
    twitter_client_id: str | None = Field(None, description="X (Twitter) OAuth 2 client id.")
    twitter_client_secret: SecretStr | None = Field(None, description="X client secret.")
    twitter_authorization_url: str = Field(
        "https://x.com/i/oauth2/authorize", description="X authorization URL."
    )
    twitter_token_url: str = Field(
        "https://api.x.com/2/oauth2/token", description="X token endpoint."
    )
    twitter_userinfo_url: str = Field(
        "https://api.x.com/2/users/me", description="X's /2/users/me endpoint."
    )
    trusted_providers: Annotated[list[str], NoDecode, BeforeValidator(comma_separated)] = Field(
        default_factory=list,
        description="Providers whose emails are trusted for linking to an existing user even "
        "when they do not say the email is verified (Better Auth's "
        "accountLinking.trustedProviders), comma-separated.",
    )
    oauth_error_url: str | None = Field(
        None,
        description="Where failed social sign-ins without an errorCallbackURL land (Better "
        "Auth's onAPIError.errorURL); default: this service's /api/auth/error page.",
    )
    oauth_timeout_seconds: float = Field(
        10.0, gt=0, le=60, description="Timeout of each call to an OAuth provider."
    )
    credit_hold_ttl_seconds: int = Field(
        3600, ge=1, le=7 * 86400, description="Life of a credit hold not given its own (1 h)."
    )
    credit_sweep_interval_seconds: float = Field(
        60.0,
        ge=0,
        le=86400,
        description="How often expired credit holds are released; 0 turns the sweeper off.",
    )

    def fill_defaults(self) -> None:
        super().fill_defaults()
        self.better_auth_url = self.better_auth_url.rstrip("/")

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.better_auth_secret is None:
            problems.append("BETTER_AUTH_SECRET is required in production")
        elif len(self.better_auth_secret.get_secret_value()) < 32:
            problems.append("BETTER_AUTH_SECRET must be at least 32 characters")
        if not self.better_auth_url.startswith("https://"):
            problems.append("BETTER_AUTH_URL must be https:// in production")
        if self.api_key_hash_secret is None:
            problems.append("API_KEY_HASH_SECRET is required in production")
        elif len(self.api_key_hash_secret.get_secret_value()) < 32:
            problems.append("API_KEY_HASH_SECRET must be at least 32 characters")
        return problems

    @property
    def base_origin(self) -> str:
        parts = urlsplit(self.better_auth_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def secure_cookies(self) -> bool:
        return self.better_auth_url.startswith("https://")

    @property
    def all_trusted_origins(self) -> list[str]:
        return [self.base_origin, *(o.rstrip("/") for o in self.trusted_origins)]

    def resolve_better_auth_secret(self) -> SecretStr:
        """The secret from settings, or one generated once into VAR_DIR (embedded default)."""
        if self.better_auth_secret is not None:
            return self.better_auth_secret
        if self.is_production:
            raise ValueError("BETTER_AUTH_SECRET is required in production")
        secret = shared_secret_file(self.var_dir / BETTER_AUTH_SECRET_FILE)
        self.better_auth_secret = SecretStr(secret)
        return self.better_auth_secret

    # ---- API keys

    api_key_hash_secret: SecretStr | None = Field(
        None,
        description="Key of the HMAC-SHA256 that API keys are stored under. Required in "
        "production; generated into VAR_DIR otherwise. Changing it invalidates every key.",
    )
    api_key_default_rate_limit_per_minute: int = Field(
        60, ge=1, le=10000, description="Requests per minute of a key created without one."
    )
    api_key_max_active_per_owner: int = Field(
        100, ge=1, le=10000, description="Active (unrevoked, unexpired) keys per user or team."
    )
    api_key_last_used_flush_seconds: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="Key uses are kept in memory and written (last_used_at) in one UPDATE "
        "this often, and at shutdown.",
    )

    def resolve_api_key_hash_secret(self) -> SecretStr:
        """The secret from settings, or one generated once into VAR_DIR (embedded default)."""
        if self.api_key_hash_secret is not None:
            return self.api_key_hash_secret
        if self.is_production:
            raise ValueError("API_KEY_HASH_SECRET is required in production")
        secret = shared_secret_file(self.var_dir / API_KEY_HASH_SECRET_FILE)
        self.api_key_hash_secret = SecretStr(secret)
        return self.api_key_hash_secret

    # ---- billing (Stripe); every /api/v1/billing endpoint answers 503 without the key

    stripe_secret_key: SecretStr | None = Field(
        None, description="Stripe secret API key; unset turns billing off (503 billing_disabled)."
    )
    stripe_webhook_secret: SecretStr | None = Field(
        None, description="Signing secret (whsec_...) of the Stripe webhook endpoint."
    )
    stripe_api_base: str | None = Field(
        None, description="Another base URL for the Stripe API (a proxy); default Stripe's."
    )
    billing_credit_packs: dict[str, CreditPack] = Field(
        default_factory=dict,
        description='Credit packs as JSON: {"name": {"price_id": "price_...", "credits": 1000}}.',
    )
    billing_plans: dict[str, Plan] = Field(
        default_factory=default_plans,
        description='Plans as JSON: {"name": {"prices": {"month": "price_...", "year": ...}, '
        '"monthly_credits": N, "limits": {"api_keys": 3, ...}}}; "free" applies without one.',
    )
    billing_revenue_share_percent: float = Field(
        70.0, ge=0, le=100, description="Curators' share of what premium datasets earn."
    )
    billing_currency: str = Field(
        "usd", min_length=3, max_length=3, description="Currency of dataset prices."
    )
    billing_success_url: str = Field(
        "http://localhost:3000/billing/success?session_id={CHECKOUT_SESSION_ID}",
        description="Where Stripe Checkout returns after payment.",
    )
    billing_cancel_url: str = Field(
        "http://localhost:3000/billing/cancel", description="Where a canceled Checkout returns."
    )
    billing_portal_return_url: str = Field(
        "http://localhost:3000/billing", description="Where the customer portal returns."
    )
