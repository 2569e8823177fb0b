"""Every model of the fltr_auth database, imported so Alembic sees the whole metadata."""

from __future__ import annotations

from fltr_auth.api_keys.models import ApiKey
from fltr_auth.billing.models import (
    BillingReversal,
    CuratorEarning,
    CuratorPayoutAccount,
    Purchase,
    StripeEvent,
    Subscription,
)
from fltr_auth.credits.models import CreditAccount, CreditHold, CreditOperation, CreditTransaction
from fltr_auth.db import Base
from fltr_auth.jwt.models import Jwk
from fltr_auth.sessions.models import Session
from fltr_auth.teams.models import Invitation, Member, Organization, Team, TeamMember
from fltr_auth.users.models import Account, User
from fltr_auth.verifications.models import Verification

metadata = Base.metadata

__all__ = [
    "Account",
    "ApiKey",
    "BillingReversal",
    "CreditAccount",
    "CreditHold",
    "CreditOperation",
    "CreditTransaction",
    "CuratorEarning",
    "CuratorPayoutAccount",
    "Invitation",
    "Jwk",
    "Member",
    "Organization",
    "Purchase",
    "Session",
    "StripeEvent",
    "Subscription",
    "Team",
    "TeamMember",
    "User",
    "Verification",
    "metadata",
]
