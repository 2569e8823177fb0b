"""Teams: Better Auth's organization plugin tables (organizations, members, invitations, teams)."""
