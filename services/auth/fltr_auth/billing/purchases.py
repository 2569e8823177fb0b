"""What a payment is worth once it is settled: credits granted, the curator's earning, and
what refunds and disputes take back. ``settle`` reads the purchase's whole current state and
brings its effects up to it, so it can run after any event, any number of times, in any
order, and always ends in the same place:

- a paid credit pack grants its credits once (idempotency key per purchase);
- reversed cents (refunds plus disputes, never more than was paid) claw back the same share
  of the credits, from purchased credits still there; what is gone is the shortfall;
- a paid premium purchase or invoice earns the curator its revenue share once; reversals
  reverse the same share of the earning (a pending earning fully reversed is never paid).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.billing import repository
from fltr_auth.billing.models import CuratorEarning, Purchase
from fltr_auth.billing.policy import BillingPolicy
from fltr_auth.credits import service as credits
from fltr_auth.credits.clawback import clawback
from fltr_auth.credits.ledger import Owner, new_id
from fltr_shared.db import utcnow

EARNING_KINDS = ("dataset_purchase", "dataset_invoice")


@dataclass(frozen=True)
class Settled:
    purchase: Purchase
    earning: CuratorEarning | None


def _share(total: int, part: int, whole: int) -> int:
    """``total * part / whole`` rounded down, and exactly ``total`` when all is reversed."""
    if whole <= 0 or part >= whole:
        return total if part > 0 else 0
    return total * part // whole


def _owner(purchase: Purchase) -> Owner:
    return Owner("user", purchase.user_id)


async def settle(db: AsyncSession, source_id: str, policy: BillingPolicy) -> Settled | None:
    purchase = await repository.lock_purchase(db, source_id)
    if purchase is None:
        return None
    if purchase.stripe_payment_intent_id:
        reversed_now = await repository.reversed_cents(db, purchase.stripe_payment_intent_id)
        purchase.reversed_cents = max(
            purchase.reversed_cents, min(reversed_now, purchase.amount_cents)
        )
    earning = None
    if purchase.status == "paid":
        if purchase.kind == "credit_pack" and purchase.credits > 0:
            await _credits(db, purchase)
        if purchase.kind in EARNING_KINDS and purchase.curator_id and purchase.amount_cents > 0:
            earning = await _earning(db, purchase, policy)
    purchase.updated_at = utcnow()
    await db.flush()
    return Settled(purchase, earning)


async def _credits(db: AsyncSession, purchase: Purchase) -> None:
    owner = _owner(purchase)
    await credits.grant(
        db,
        owner,
        int(purchase.credits),
        f"billing:grant:{purchase.source_id}",
        reason="credit_pack",
        resource_id=purchase.source_id,
    )
    target = _share(int(purchase.credits), purchase.reversed_cents, purchase.amount_cents)
    asked = purchase.credits_clawed_back + purchase.credits_shortfall
    if target > asked:
        result = await clawback(
            db,
            owner,
            target - asked,
            f"billing:clawback:{purchase.source_id}:{target}",
            reason="refund",
            resource_id=purchase.source_id,
        )
        purchase.credits_clawed_back += int(result.body["clawed_back"])
        purchase.credits_shortfall += int(result.body["shortfall"])


async def _earning(db: AsyncSession, purchase: Purchase, policy: BillingPolicy) -> CuratorEarning:
    earning = await repository.earning_for(db, purchase.id)
    if earning is None:
        assert purchase.curator_id is not None
        amount = int(purchase.amount_cents * policy.revenue_share_percent // 100)
        earning = CuratorEarning(
            id=new_id(),
            purchase_id=purchase.id,
            curator_id=purchase.curator_id,
            dataset_id=purchase.dataset_id,
            subscription_id=purchase.stripe_subscription_id,
            amount_cents=amount,
            reversed_cents=0,
            currency=purchase.currency,
            revenue_share_percentage=policy.revenue_share_percent,
            payout_status="pending",
            period_start=purchase.period_start,
            period_end=purchase.period_end,
            created_at=utcnow(),
        )
        db.add(earning)
    reversed_share = _share(earning.amount_cents, purchase.reversed_cents, purchase.amount_cents)
    if reversed_share > earning.reversed_cents:
        earning.reversed_cents = reversed_share
    if earning.payout_status == "pending" and earning.reversed_cents >= earning.amount_cents:
        earning.payout_status = "reversed"
    await db.flush()
    return earning
