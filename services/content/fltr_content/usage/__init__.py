"""API usage: one ``api_usage`` row per search, chunk or MCP call, and the summaries of it."""
