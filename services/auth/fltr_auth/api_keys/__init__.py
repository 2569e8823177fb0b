"""API keys for agents and SDKs: issued once, stored as keyed hashes, scoped and revocable."""
