"""The credit ledger: accounts with two pools, holds, and an append-only transaction log."""
