"""MCP: one streamable-HTTP endpoint per dataset (``/mcp/{slug}``), on the official SDK."""
