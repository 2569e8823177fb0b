"""Outgoing email: SMTP when configured, the log otherwise (embedded default)."""
