"""Billing: Stripe checkout, webhooks, subscriptions, purchases, plan limits, earnings."""
