"""JSON Web Tokens and their signing keys, as Better Auth's jwt plugin makes them."""
