"""Credits as the content service shows them: the auth service's ledger, read over HTTP."""
