"""Billing test support: the real ``stripe`` library over a recording HTTP client, webhook
events signed exactly as Stripe signs them, and a billing-enabled auth app."""
