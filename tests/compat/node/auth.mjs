// The real Better Auth (npm better-auth, pinned in package.json) configured the way FLTR's
// frontend configures it, with FLTR's table and column names. tests/compat runs this beside
// FLTR's auth service, against the same PostgreSQL database.
//
// Environment:
//   DATABASE_URL                  postgres://... (postgresql+asyncpg:// is accepted too)
//   BETTER_AUTH_SECRET            the shared secret (FLTR's auth secret)
//   BETTER_AUTH_URL               the base URL, e.g. http://127.0.0.1:3000
//   BETTER_AUTH_TRUSTED_ORIGINS   optional, comma-separated extra trusted origins
import { betterAuth } from "better-auth";
import { admin, bearer, jwt, organization } from "better-auth/plugins";
import pg from "pg";

/** Normalise a SQLAlchemy-style URL to one node-postgres understands. */
export function nodeDatabaseUrl(url) {
	if (!url) throw new Error("DATABASE_URL is not set");
	return url.replace(/^postgresql\+[a-z0-9]+:\/\//, "postgresql://");
}

/** FLTR's naming: plural tables, snake_case columns. */
export const fltrSchema = {
	user: {
		modelName: "users",
		fields: {
			emailVerified: "email_verified",
			createdAt: "created_at",
			updatedAt: "updated_at",
		},
		additionalFields: {
			username: { type: "string", required: false, unique: true, fieldName: "username" },
			stripeCustomerId: {
				type: "string",
				required: false,
				input: false,
				fieldName: "stripe_customer_id",
			},
		},
	},
	session: {
		modelName: "sessions",
		fields: {
			expiresAt: "expires_at",
			createdAt: "created_at",
			updatedAt: "updated_at",
			ipAddress: "ip_address",
			userAgent: "user_agent",
			userId: "user_id",
		},
	},
	account: {
		modelName: "accounts",
		fields: {
			accountId: "account_id",
			providerId: "provider_id",
			userId: "user_id",
			accessToken: "access_token",
			refreshToken: "refresh_token",
			idToken: "id_token",
			accessTokenExpiresAt: "access_token_expires_at",
			refreshTokenExpiresAt: "refresh_token_expires_at",
			createdAt: "created_at",
			updatedAt: "updated_at",
		},
	},
	verification: {
		modelName: "verifications",
		fields: {
			expiresAt: "expires_at",
			createdAt: "created_at",
			updatedAt: "updated_at",
		},
	},
};

export const jwtSchema = {
	jwks: {
		modelName: "jwks",
		fields: {
			publicKey: "public_key",
			privateKey: "private_key",
			createdAt: "created_at",
			expiresAt: "expires_at",
		},
	},
};

export const adminSchema = {
	user: { fields: { banReason: "ban_reason", banExpires: "ban_expires" } },
	session: { fields: { impersonatedBy: "impersonated_by" } },
};

export const organizationSchema = {
	session: {
		fields: { activeOrganizationId: "active_organization_id", activeTeamId: "active_team_id" },
	},
	organization: { modelName: "organizations", fields: { createdAt: "created_at" } },
	member: {
		modelName: "members",
		fields: { organizationId: "organization_id", userId: "user_id", createdAt: "created_at" },
	},
	invitation: {
		modelName: "invitations",
		fields: {
			organizationId: "organization_id",
			teamId: "team_id",
			expiresAt: "expires_at",
			createdAt: "created_at",
			inviterId: "inviter_id",
		},
	},
	team: {
		modelName: "teams",
		fields: {
			organizationId: "organization_id",
			memberCount: "member_count",
			createdAt: "created_at",
			updatedAt: "updated_at",
		},
	},
	teamMember: {
		modelName: "team_members",
		fields: {
			teamId: "team_id",
			userId: "user_id",
			membershipKey: "membership_key",
			createdAt: "created_at",
		},
	},
};

function trustedOrigins(env) {
	const origins = [];
	if (env.BETTER_AUTH_URL) origins.push(new URL(env.BETTER_AUTH_URL).origin);
	for (const origin of (env.BETTER_AUTH_TRUSTED_ORIGINS || "").split(",")) {
		if (origin.trim()) origins.push(origin.trim());
	}
	return origins;
}

/**
 * The Better Auth options (also what getMigrations takes).
 *
 * `outbox`, when given, receives the e-mails Better Auth would send
 * ({type, to, url, token}); without it those flows are still configured but drop the mail.
 */
export function buildAuthOptions(env = process.env, { outbox, pool } = {}) {
	if (!env.BETTER_AUTH_SECRET) throw new Error("BETTER_AUTH_SECRET is not set");
	const send = async (type, { user, url, token }) => {
		outbox?.push({ type, to: user.email, url, token, at: new Date().toISOString() });
	};
	return {
		appName: "FLTR",
		baseURL: env.BETTER_AUTH_URL,
		basePath: "/api/auth",
		secret: env.BETTER_AUTH_SECRET,
		database: pool ?? new pg.Pool({ connectionString: nodeDatabaseUrl(env.DATABASE_URL), max: 5 }),
		trustedOrigins: trustedOrigins(env),
		telemetry: { enabled: false },
		emailAndPassword: {
			enabled: true,
			autoSignIn: true,
			requireEmailVerification: false,
			sendResetPassword: (data) => send("reset-password", data),
		},
		emailVerification: {
			sendVerificationEmail: (data) => send("verify-email", data),
		},
		user: fltrSchema.user,
		session: fltrSchema.session,
		account: fltrSchema.account,
		verification: fltrSchema.verification,
		plugins: [
			bearer(),
			jwt({ schema: jwtSchema }),
			admin({ defaultRole: "developer", adminRoles: ["admin"], schema: adminSchema }),
			organization({ teams: { enabled: true }, schema: organizationSchema }),
		],
	};
}

/** The Better Auth instance, built from the environment. */
export function createAuth(env = process.env, extra = {}) {
	return betterAuth(buildAuthOptions(env, extra));
}
