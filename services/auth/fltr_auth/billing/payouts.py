"""Paying curators through Stripe Connect transfers (an admin task).

Each earning is sent as one transfer keyed by an idempotency key of its own, so a run that
is interrupted and run again never pays twice (Stripe answers the retried key with the
first transfer). Earnings are claimed (``processing``) in one short transaction, Stripe is
called with no transaction open, and the outcome is written in another; an earning left
``processing`` by a crash is sent again by the next run under the same key.

A refund after the payout takes the curator's share back with a transfer reversal, keyed
by the earning and the reversed total.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import stripe

from fltr_auth.billing import repository
from fltr_shared.db import Database, utcnow


@dataclass
class PayoutRun:
    paid: int = 0
    failed: int = 0
    skipped: int = 0
    transfers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Due:
    earning_id: str
    destination: str
    amount: int
    currency: str
    reversed_before: int  # already left out of the transfer


async def run(database: Database, client: stripe.StripeClient, *, limit: int = 100) -> PayoutRun:
    outcome = PayoutRun()
    due: list[_Due] = []
    async with database.transaction() as db:
        for earning in await repository.claim_payable(db, limit):
            destination = await repository.payout_account(db, earning.curator_id)
            if destination is None:
                outcome.skipped += 1  # the curator has not connected an account yet
                continue
            earning.payout_status = "processing"
            due.append(
                _Due(
                    earning.id,
                    destination,
                    earning.amount_cents - earning.reversed_cents,
                    earning.currency,
                    earning.reversed_cents,
                )
            )
    for item in due:
        try:
            transfer = await client.v1.transfers.create_async(
                {
                    "amount": item.amount,
                    "currency": item.currency,
                    "destination": item.destination,
                    "transfer_group": f"earning_{item.earning_id}",
                    "metadata": {"fltr_earning_id": item.earning_id},
                },
                {"idempotency_key": f"fltr-earning-{item.earning_id}"},
            )
        except stripe.StripeError as exc:
            async with database.transaction() as db:
                failed = await repository.lock_earning(db, item.earning_id)
                assert failed is not None
                failed.payout_status = "failed"
                failed.failure_reason = str(exc.user_message or exc)[:500]
            outcome.failed += 1
            continue
        async with database.transaction() as db:
            paid = await repository.lock_earning(db, item.earning_id)
            assert paid is not None
            paid.payout_status = "paid"
            paid.stripe_transfer_id = transfer.id
            paid.paid_at = utcnow()
            paid.failure_reason = None
            paid.transfer_reversed_cents = item.reversed_before
        outcome.paid += 1
        outcome.transfers.append(transfer.id)
    await _reverse_paid(database, client, outcome, limit)
    return outcome


async def _reverse_paid(
    database: Database, client: stripe.StripeClient, outcome: PayoutRun, limit: int
) -> None:
    async with database.transaction() as db:
        owed = [
            (e.id, e.stripe_transfer_id, e.reversed_cents, e.transfer_reversed_cents)
            for e in await repository.reversed_after_payout(db, limit)
        ]
    for earning_id, transfer_id, reversed_cents, already in owed:
        assert transfer_id is not None
        try:
            await client.v1.transfers.reversals.create_async(
                transfer_id,
                {"amount": reversed_cents - already},
                {"idempotency_key": f"fltr-earning-{earning_id}-reversed-{reversed_cents}"},
            )
        except stripe.StripeError:
            outcome.failed += 1
            continue
        async with database.transaction() as db:
            earning = await repository.lock_earning(db, earning_id)
            assert earning is not None
            earning.transfer_reversed_cents = max(earning.transfer_reversed_cents, reversed_cents)
