"""What the billing rules need from settings, in one value (built once per request)."""

from __future__ import annotations

from dataclasses import dataclass

from fltr_auth.billing.config import Catalog
from fltr_auth.settings import AuthSettings


@dataclass(frozen=True)
class BillingPolicy:
    catalog: Catalog
    revenue_share_percent: float
    currency: str
    success_url: str
    cancel_url: str
    portal_return_url: str
    enabled: bool

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> BillingPolicy:
        return cls(
            catalog=Catalog(settings.billing_credit_packs, settings.billing_plans),
            revenue_share_percent=settings.billing_revenue_share_percent,
            currency=settings.billing_currency.lower(),
            success_url=settings.billing_success_url,
            cancel_url=settings.billing_cancel_url,
            portal_return_url=settings.billing_portal_return_url,
            enabled=settings.stripe_secret_key is not None,
        )
