// The official Better Auth client (createAuthClient from better-auth/client) driving a
// server given on the command line: sign up, get the session, sign out, sign in, a wrong
// password. Node has no cookie jar, so the client uses the bearer plugin's documented setup:
// keep the set-auth-token header and send it as Authorization: Bearer.
// Usage: node client-flow.mjs <baseURL> <email> <password>; prints one JSON object.
import { createAuthClient } from "better-auth/client";

const [baseURL, email, password] = process.argv.slice(2);
let token = "";
const client = createAuthClient({
  baseURL,
  fetchOptions: {
    auth: { type: "Bearer", token: () => token },
    onSuccess: (ctx) => {
      const issued = ctx.response.headers.get("set-auth-token");
      if (issued) token = issued;
    },
  },
});

const brief = (result) => ({
  error: result.error ? { status: result.error.status, code: result.error.code ?? null } : null,
  email: result.data?.user?.email ?? null,
  data: result.data && !result.data.user ? result.data : undefined,
});

const out = {};
out.signUp = brief(await client.signUp.email({ email, password, name: "Client Flow" }));
out.sessionAfterSignUp = brief(await client.getSession());
out.signOut = brief(await client.signOut());
out.sessionAfterSignOut = brief(await client.getSession());
out.signIn = brief(await client.signIn.email({ email, password }));
out.sessionAfterSignIn = brief(await client.getSession());
out.wrongPassword = brief(await client.signIn.email({ email, password: password + "-wrong" }));
out.duplicate = brief(await client.signUp.email({ email, password, name: "Again" }));
console.log(JSON.stringify(out));
