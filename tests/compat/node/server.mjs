// Better Auth served over HTTP for tests/compat, plus test-only helper routes that expose
// Better Auth's own primitives (so Python tests compare FLTR against the real code, not
// against a re-implementation).
//
//   PORT (default 3000), DATABASE_URL, BETTER_AUTH_SECRET, BETTER_AUTH_URL,
//   BETTER_AUTH_TRUSTED_ORIGINS  (see auth.mjs)
//
// Prints "READY <port>" on stdout once listening on 127.0.0.1.
//
// /api/auth/*                 Better Auth itself (toNodeHandler from better-auth/node)
// POST /test/verify-jwt       {token, jwks_url?, issuer?, audience?}
//                             with jwks_url: jose createRemoteJWKSet + jwtVerify, exactly as
//                             Better Auth's docs recommend for resource servers;
//                             without: auth.api.verifyJWT (the jwt plugin's own verifyJWT,
//                             keys from this database's jwks table, iss/aud = base URL origin).
//                             -> 200 {valid, payload, header, error}
// POST /test/hash-password    {password} -> {hash}                 (better-auth/crypto)
// POST /test/verify-password  {hash, password} -> {valid}          (better-auth/crypto)
// POST /test/sign-cookie      {value, secret?} -> {signed, encoded, makeSignature}
//                             better-call's serializeSignedCookie, which Better Auth uses to
//                             set the session cookie; secret defaults to BETTER_AUTH_SECRET
// POST /test/symmetric-encrypt {key, data} -> {data}               (better-auth/crypto)
// POST /test/symmetric-decrypt {key, data} -> {data} | 400 {error}  (better-auth/crypto)
// GET|POST /test/get-session  auth.api.getSession({headers}) with this request's headers
//                             (Cookie, Authorization, ...) -> {session: <result or null>}
//                             ?disableCookieCache=true is passed through as a query
// GET /test/outbox            e-mails Better Auth asked to send: [{type,to,url,token,at}]
// DELETE /test/outbox         clear them
import http from "node:http";
import { makeSignature, hashPassword, symmetricDecrypt, symmetricEncrypt, verifyPassword } from "better-auth/crypto";
import { fromNodeHeaders, toNodeHandler } from "better-auth/node";
import { serializeSignedCookie } from "better-call";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import pg from "pg";
import { createAuth, nodeDatabaseUrl } from "./auth.mjs";

const outbox = [];
const pool = new pg.Pool({ connectionString: nodeDatabaseUrl(process.env.DATABASE_URL), max: 5 });
const auth = createAuth(process.env, { outbox, pool });
const authHandler = toNodeHandler(auth);
const secret = process.env.BETTER_AUTH_SECRET;

async function readJson(req) {
	const chunks = [];
	for await (const chunk of req) chunks.push(chunk);
	const text = Buffer.concat(chunks).toString("utf8");
	return text ? JSON.parse(text) : {};
}

function send(res, status, body) {
	const data = JSON.stringify(body);
	res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(data) });
	res.end(data);
}

function safeHeader(token) {
	try {
		return decodeProtectedHeader(token);
	} catch {
		return null;
	}
}

const remoteJwks = new Map();

const routes = {
	"POST /test/verify-jwt": async (req, body) => {
		const { token, jwks_url: jwksUrl, issuer, audience } = body;
		if (jwksUrl) {
			if (!remoteJwks.has(jwksUrl)) remoteJwks.set(jwksUrl, createRemoteJWKSet(new URL(jwksUrl)));
			const origin = new URL(jwksUrl).origin;
			try {
				const { payload, protectedHeader } = await jwtVerify(token, remoteJwks.get(jwksUrl), {
					issuer: issuer ?? origin,
					audience: audience ?? origin,
				});
				return [200, { valid: true, payload, header: protectedHeader, error: null, via: "jose" }];
			} catch (error) {
				return [200, { valid: false, payload: null, header: safeHeader(token), error: `${error.code || error.name}: ${error.message}`, via: "jose" }];
			}
		}
		const result = await auth.api.verifyJWT({ body: { token, ...(issuer ? { issuer } : {}) } });
		const payload = result?.payload ?? null;
		return [200, { valid: payload !== null, payload, header: safeHeader(token), error: payload ? null : "rejected by verifyJWT", via: "better-auth" }];
	},
	"POST /test/hash-password": async (req, body) => [200, { hash: await hashPassword(body.password) }],
	"POST /test/verify-password": async (req, body) => [
		200,
		{ valid: await verifyPassword({ hash: body.hash, password: body.password }) },
	],
	"POST /test/sign-cookie": async (req, body) => {
		const key = body.secret ?? secret;
		const serialized = await serializeSignedCookie("x", body.value, key);
		const encoded = serialized.slice(2).split(";")[0];
		return [200, { signed: decodeURIComponent(encoded), encoded, makeSignature: await makeSignature(body.value, key) }];
	},
	"POST /test/symmetric-encrypt": async (req, body) => [
		200,
		{ data: await symmetricEncrypt({ key: body.key, data: body.data }) },
	],
	"POST /test/symmetric-decrypt": async (req, body) => {
		try {
			return [200, { data: await symmetricDecrypt({ key: body.key, data: body.data }) }];
		} catch (error) {
			return [400, { error: String(error?.message || error) }];
		}
	},
	"GET /test/get-session": async (req) => {
		const url = new URL(req.url, "http://localhost");
		const query = url.searchParams.get("disableCookieCache") === "true" ? { disableCookieCache: true } : undefined;
		const session = await auth.api.getSession({ headers: fromNodeHeaders(req.headers), query });
		return [200, { session }];
	},
	"GET /test/outbox": async () => [200, outbox],
	"DELETE /test/outbox": async () => {
		outbox.length = 0;
		return [200, outbox];
	},
};
routes["POST /test/get-session"] = routes["GET /test/get-session"];

const server = http.createServer(async (req, res) => {
	const path = new URL(req.url, "http://localhost").pathname;
	if (path.startsWith("/api/auth")) return authHandler(req, res);
	const route = routes[`${req.method} ${path}`];
	if (!route) return send(res, 404, { error: `no route ${req.method} ${path}` });
	try {
		const body = req.method === "POST" ? await readJson(req) : {};
		const [status, payload] = await route(req, body);
		send(res, status, payload);
	} catch (error) {
		process.stderr.write(`${req.method} ${path} failed: ${error?.stack || error}\n`);
		send(res, 500, { error: String(error?.message || error) });
	}
});

const port = Number(process.env.PORT ?? 3000);
server.listen(port, "127.0.0.1", () => {
	process.stdout.write(`READY ${server.address().port}\n`);
});

let stopping = false;
async function stop() {
	if (stopping) return;
	stopping = true;
	server.close();
	server.closeAllConnections?.();
	await pool.end().catch(() => {});
	process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
