// Produces better_auth_1_7_25.json: test vectors made by the real npm better-auth 1.7.25,
// which tests/auth/test_security.py checks FLTR's Python primitives against.
//
// Re-run (needs Node >= 20 and network access to the npm registry):
//
//   mkdir -p /tmp/ba && cd /tmp/ba && npm init -y && npm install better-auth@1.7.25
//   cd /work/main
//   # 1. Better Auth side: fresh vectors from a real betterAuth() instance (memory adapter,
//   #    email+password, jwt plugin) and from better-auth's exported crypto functions.
//   BETTER_AUTH_DIR=/tmp/ba node tests/auth/vectors/generate.mjs
//   # 2. Python side: FLTR's primitives add a "python_made" section (hash, cookie, ciphertext,
//   #    JWT, jwks row) to the same file.
//   uv run python tests/auth/vectors/python_made.py
//   # 3. Reverse direction: Better Auth verifies everything Python made, end to end, and
//   #    records the verdicts in python_made.verified_by_better_auth (exit 1 on any failure).
//   BETTER_AUTH_DIR=/tmp/ba node tests/auth/vectors/generate.mjs --verify-python
//
// BETTER_AUTH_DIR is the directory holding node_modules/better-auth (default: the cwd).
// Packages are resolved from there, so this file can stay inside the Python repository.

import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const BA_DIR = path.resolve(process.env.BETTER_AUTH_DIR ?? process.cwd());
const requireFromBA = createRequire(path.join(BA_DIR, "package.json"));
const OUT = fileURLToPath(new URL("./better_auth_1_7_25.json", import.meta.url));

/** Import a package the way better-auth itself gets it (ESM build when there is one). */
async function load(specifier) {
	let resolved = requireFromBA.resolve(specifier);
	// better-call publishes both builds; prefer the ESM one better-auth imports.
	if (resolved.endsWith(".cjs")) resolved = resolved.slice(0, -4) + ".mjs";
	return import(pathToFileURL(resolved).href);
}

function version(pkg) {
	const dir = path.join(BA_DIR, "node_modules", pkg, "package.json");
	return JSON.parse(readFileSync(dir, "utf8")).version;
}

const { betterAuth } = await load("better-auth");
const { memoryAdapter } = await load("better-auth/adapters/memory");
const { jwt, generateExportedKeyPair } = await load("better-auth/plugins/jwt");
const { bearer } = await load("better-auth/plugins/bearer");
const baCrypto = await load("better-auth/crypto");
const { serializeSignedCookie, parseCookies } = await load("better-call");
const jose = await load("jose");
const { generateId } = await load("@better-auth/core/utils/id");

if (version("better-auth") !== "1.7.25") {
	throw new Error(`expected better-auth 1.7.25, found ${version("better-auth")}`);
}

// A fixed, non-default secret (>= 32 chars, high entropy so Better Auth does not warn).
const SECRET = "fltr-vectors-Q7v2xK9pLm4Rt8Ws1Yb6Nc3Hd0Jf5Ge-Za";
const BASE_URL = "http://localhost:3000";

function makeAuth(db, extra = {}) {
	return betterAuth({
		secret: SECRET,
		baseURL: BASE_URL,
		database: memoryAdapter(db),
		emailAndPassword: { enabled: true },
		plugins: [jwt(), bearer()],
		telemetry: { enabled: false },
		logger: { disabled: true },
		...extra,
	});
}

function emptyDb() {
	return { user: [], session: [], account: [], verification: [], jwks: [] };
}

function setCookies(headers) {
	const out = {};
	for (const line of headers.getSetCookie()) {
		const name = line.slice(0, line.indexOf("="));
		out[name] = line;
	}
	return out;
}

function cookieValue(setCookieLine) {
	return setCookieLine.slice(setCookieLine.indexOf("=") + 1).split(";")[0];
}

function decodePart(part) {
	return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

async function generate() {
	const db = emptyDb();
	const auth = makeAuth(db);

	// --- Sign-up through the real endpoint: password hash, session token, cookies. ---
	const password = "correct horse battery staple";
	const signUp = await auth.api.signUpEmail({
		body: { email: "Vector.User@Example.com", password, name: "Vector User" },
		returnHeaders: true,
	});
	const signUpCookies = setCookies(signUp.headers);
	const sessionCookieLine = signUpCookies["better-auth.session_token"];
	const encodedCookie = cookieValue(sessionCookieLine);
	const session = db.session[0];
	const account = db.account[0];
	const user = db.user[0];

	// "Remember me" off: the session cookie loses Max-Age and a signed dont_remember appears.
	const signIn = await auth.api.signInEmail({
		body: { email: "vector.user@example.com", password, rememberMe: false },
		returnHeaders: true,
	});
	const signInCookies = setCookies(signIn.headers);

	// --- JWT plugin: /token mints the first jwks row and signs the session user. ---
	const cookieHeader = new Headers({ cookie: `better-auth.session_token=${encodedCookie}` });
	const { token } = await auth.api.getToken({ headers: cookieHeader });
	const jwksResponse = await auth.api.getJwks();
	const jwksRow = db.jwks[0];
	const privateJwkJson = await baCrypto.symmetricDecrypt({
		key: SECRET,
		data: JSON.parse(jwksRow.privateKey),
	});

	// --- Password hashes straight from better-auth/crypto. NFKC: "ﬁ" (U+FB01) -> "fi",
	//     "Å" written decomposed; Python must verify with the composed/compat form. ---
	const nfkcPassword = "Pa\u0301ss\uFB01-\u2460-A\u030A";
	const nfkcHash = await baCrypto.hashPassword(nfkcPassword);

	// --- Cookie signing through better-call, including characters encodeURIComponent
	//     escapes, and the parser's decoding. ---
	const cookieCases = [];
	for (const value of [session.token, "true", "a b+/=é~!*'()"]) {
		const line = await serializeSignedCookie("c", value, SECRET);
		const encoded = cookieValue(line);
		cookieCases.push({
			value,
			secret: SECRET,
			signed: decodeURIComponent(encoded),
			encoded,
			parsed_back: parseCookies(`c=${encoded}`).get("c"),
		});
	}

	// --- symmetricEncrypt: bare hex with a string key; "$ba$<v>$hex" with rotating secrets. ---
	const symmetricCases = [];
	for (const data of ["hello", "", "ünïcødé ✓ 🙂", "\uFEFFstarts with a BOM", privateJwkJson]) {
		const ciphertext = await baCrypto.symmetricEncrypt({ key: SECRET, data });
		const roundTrip = await baCrypto.symmetricDecrypt({ key: SECRET, data: ciphertext });
		symmetricCases.push({ key: SECRET, data, ciphertext, better_auth_decrypts_to: roundTrip });
	}
	const rotating = {
		keys: new Map([
			[2, "rotating-secret-v2-Hk3Lq8Zp1Xw7Vn5Bm0Cr4Ty9"],
			[1, "rotating-secret-v1-Ja6Sd2Fg8Hj4Kl0Zx5Cv7Bn3"],
		]),
		currentVersion: 2,
		legacySecret: SECRET,
	};
	const versioned = {
		secrets: { 2: rotating.keys.get(2), 1: rotating.keys.get(1) },
		current_version: 2,
		legacy_secret: SECRET,
		ciphertext: await baCrypto.symmetricEncrypt({ key: rotating, data: "versioned payload" }),
		data: "versioned payload",
		legacy_ciphertext: await baCrypto.symmetricEncrypt({ key: SECRET, data: "legacy payload" }),
		legacy_data: "legacy payload",
	};

	// --- Other key algorithms the plugin offers (keyPairConfig.alg), signed exactly as
	//     plugins/jwt/sign.ts does: SignJWT(payload).setProtectedHeader({alg, kid}). ---
	const otherAlgs = [];
	for (const alg of ["ES256", "ES512", "RS256", "PS256"]) {
		const pair = await generateExportedKeyPair({ jwks: { keyPairConfig: { alg } } });
		const kid = generateId(32);
		const key = await jose.importJWK(pair.privateWebKey, alg);
		const payload = { sub: "user-123", iat: 1700000000 };
		const signed = await new jose.SignJWT(payload)
			.setProtectedHeader({ alg, kid })
			.setExpirationTime(4102444800)
			.setIssuer(BASE_URL)
			.setAudience(BASE_URL)
			.setIssuedAt(1700000000)
			.setSubject("user-123")
			.sign(key);
		otherAlgs.push({
			alg,
			kid,
			public_jwk: pair.publicWebKey,
			private_jwk: pair.privateWebKey,
			public_key: JSON.stringify(pair.publicWebKey),
			token: signed,
		});
	}

	return {
		about:
			"Vectors made by npm better-auth 1.7.25 (tests/auth/vectors/generate.mjs); " +
			"python_made is FLTR's output, checked by Better Auth with --verify-python.",
		packages: Object.fromEntries(
			["better-auth", "better-call", "jose", "@better-auth/utils", "@noble/ciphers"].map(
				(p) => [p, version(p)],
			),
		),
		node: process.version,
		secret: SECRET,
		base_url: BASE_URL,
		ids: {
			user_id: user.id,
			session_id: session.id,
			account_id: account.id,
			session_token: session.token,
			generate_id_samples: [generateId(), generateId(), generateId(32)],
		},
		user: { email_stored: user.email, email_verified: user.emailVerified },
		account: { provider_id: account.providerId, account_id: account.accountId },
		password: {
			password,
			hash: account.password,
			nfkc_password_as_hashed: nfkcPassword,
			nfkc_password_composed: nfkcPassword.normalize("NFKC"),
			nfkc_hash: nfkcHash,
		},
		cookie: {
			secret: SECRET,
			session_token: session.token,
			session_cookie_set_cookie: sessionCookieLine,
			session_cookie_encoded: encodedCookie,
			session_cookie_signed: decodeURIComponent(encodedCookie),
			sign_up_cookie_names: Object.keys(signUpCookies),
			dont_remember_sign_in_set_cookies: signInCookies,
			cases: cookieCases,
		},
		symmetric: { cases: symmetricCases, versioned },
		jwt: {
			token,
			header: decodePart(token.split(".")[0]),
			payload: decodePart(token.split(".")[1]),
			jwks_row: {
				id: jwksRow.id,
				public_key: jwksRow.publicKey,
				private_key: jwksRow.privateKey,
				alg: jwksRow.alg ?? null,
				crv: jwksRow.crv ?? null,
				expires_at: jwksRow.expiresAt ?? null,
			},
			private_jwk_json: privateJwkJson,
			jwks_response: jwksResponse,
			other_algs: otherAlgs,
		},
	};
}

/** Better Auth checks what FLTR's Python made (see python_made.py); records the verdicts. */
async function verifyPython(vectors) {
	const py = vectors.python_made;
	if (!py) throw new Error("no python_made section: run tests/auth/vectors/python_made.py first");
	const checks = {};

	// Password hash made by Python, verified by better-auth/crypto.
	checks.password_hash = await baCrypto.verifyPassword({
		hash: py.password.hash,
		password: py.password.password,
	});
	checks.password_hash_wrong_password_rejected = !(await baCrypto.verifyPassword({
		hash: py.password.hash,
		password: `${py.password.password}x`,
	}));

	// Ciphertext made by Python, decrypted by better-auth/crypto.
	checks.symmetric_decrypt =
		(await baCrypto.symmetricDecrypt({ key: py.symmetric.key, data: py.symmetric.ciphertext })) ===
		py.symmetric.data;

	// End to end: a Better Auth instance whose database holds a user, a session whose cookie
	// Python signed, and only the jwks row Python generated (private key encrypted by Python).
	const db = emptyDb();
	const auth = makeAuth(db);
	await auth.api.signUpEmail({
		body: { email: "py.user@example.com", password: py.password.password, name: "Py User" },
	});
	const now = new Date();
	db.session.length = 0;
	db.session.push({
		id: generateId(32),
		token: py.cookie.session_token,
		userId: db.user[0].id,
		expiresAt: new Date(now.getTime() + 3600_000),
		createdAt: now,
		updatedAt: now,
		ipAddress: "",
		userAgent: "",
	});
	db.account[0].password = py.password.hash; // sign-in must accept the Python-made hash
	db.jwks.length = 0;
	db.jwks.push({
		id: py.jwks_row.id,
		publicKey: py.jwks_row.public_key,
		privateKey: py.jwks_row.private_key,
		alg: py.jwks_row.alg,
		crv: py.jwks_row.crv,
		createdAt: now,
	});

	const signIn = await auth.api.signInEmail({
		body: { email: "py.user@example.com", password: py.password.password },
		asResponse: true,
	});
	checks.sign_in_with_python_hash = signIn.status === 200;

	const headers = new Headers({ cookie: `better-auth.session_token=${py.cookie.encoded}` });
	const got = await auth.api.getSession({ headers });
	checks.session_cookie_accepted = got?.session?.token === py.cookie.session_token;
	const bearerGot = await auth.api.getSession({
		headers: new Headers({ authorization: `Bearer ${py.cookie.signed}` }),
	});
	checks.bearer_signed_value_accepted = bearerGot?.session?.token === py.cookie.session_token;
	const tampered = await auth.api.getSession({
		headers: new Headers({ cookie: `better-auth.session_token=${py.cookie.tampered_encoded}` }),
	});
	checks.tampered_cookie_rejected = tampered === null;

	// Better Auth decrypts the Python-encrypted private key and signs with it.
	const { token } = await auth.api.getToken({ headers });
	const jwks = await auth.api.getJwks();
	checks.jwks_lists_python_key = jwks.keys.length === 1 && jwks.keys[0].kid === py.jwks_row.id;
	checks.jwks_response_equals_python = JSON.stringify(jwks) === JSON.stringify(py.jwks_response);
	const keySet = jose.createLocalJWKSet(jwks);
	const baSigned = await jose.jwtVerify(token, keySet, { issuer: BASE_URL, audience: BASE_URL });
	checks.better_auth_signed_with_python_key = baSigned.protectedHeader.kid === py.jwks_row.id;

	// JWT signed by Python, verified by jose against Better Auth's JWKS response.
	const pyVerified = await jose.jwtVerify(py.jwt.token, keySet, {
		issuer: BASE_URL,
		audience: BASE_URL,
		algorithms: ["EdDSA"],
	});
	checks.python_jwt_verified = pyVerified.payload.sub === py.jwt.payload.sub;
	// And Python's JWT signed with Better Auth's own key (from the first phase).
	const baKeySet = jose.createLocalJWKSet(vectors.jwt.jwks_response);
	const crossVerified = await jose.jwtVerify(py.jwt.token_with_better_auth_key, baKeySet, {
		algorithms: ["EdDSA"],
		clockTolerance: 10 * 365 * 86400,
	});
	checks.python_jwt_with_better_auth_key_verified =
		crossVerified.protectedHeader.kid === vectors.jwt.jwks_row.id;

	// Other algorithms: Python-generated keys, Python-signed tokens, jose verifies.
	for (const item of py.other_algs) {
		const key = await jose.importJWK(item.public_jwk, item.alg);
		const { protectedHeader } = await jose.jwtVerify(item.token, key, { algorithms: [item.alg] });
		checks[`python_${item.alg}_jwt_verified`] = protectedHeader.kid === item.kid;
	}

	const ok = Object.values(checks).every((v) => v === true);
	py.verified_by_better_auth = {
		checks,
		all_passed: ok,
		node: process.version,
		better_auth: version("better-auth"),
		checked_at: new Date().toISOString(),
	};
	return ok;
}

if (process.argv.includes("--verify-python")) {
	const vectors = JSON.parse(readFileSync(OUT, "utf8"));
	const ok = await verifyPython(vectors);
	writeFileSync(OUT, `${JSON.stringify(vectors, null, 2)}\n`);
	console.log(JSON.stringify(vectors.python_made.verified_by_better_auth, null, 2));
	process.exit(ok ? 0 : 1);
} else {
	const vectors = await generate();
	writeFileSync(OUT, `${JSON.stringify(vectors, null, 2)}\n`);
	console.log(`wrote ${OUT}`);
}
