"""Users and their accounts (credential passwords and OAuth links), in Better Auth's model."""
