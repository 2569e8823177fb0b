"""Entitlements: whether a user or an API key may use a dataset (visibility and pricing)."""
