"""Administration of users (Better Auth's admin plugin endpoints): roles, verification, bans."""
