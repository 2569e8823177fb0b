/**
 * A small typed client for FLTR, on openapi-fetch and the types openapi-typescript generates
 * from the services' OpenAPI documents (src/auth.d.ts, src/content.d.ts; `npm run generate`).
 * Every path, body, answer and error body below is checked by `tsc` against those types: an
 * incompatible change in a service's API fails `npm run typecheck`.
 */
import createClient from "openapi-fetch";
import type { components as AuthComponents, paths as AuthPaths } from "./auth";
import type { components as ContentComponents, paths as ContentPaths } from "./content";

export type { AuthPaths, ContentPaths };
export type ErrorBody = ContentComponents["schemas"]["ErrorBody"];
export type Dataset = ContentComponents["schemas"]["DatasetOut"];
export type SearchResponse = ContentComponents["schemas"]["SearchResponse"];
export type ApiKeyCreated = AuthComponents["schemas"]["ApiKeyCreatedOut"];

/** An FLTR error answer: the status and the `{"error", "detail"}` body. */
export class FltrError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(`${status} ${body.error}: ${body.detail}`);
  }
}

function failed(response: Response, error: ErrorBody | undefined): FltrError {
  return new FltrError(
    response.status,
    error ?? { error: "http_error", detail: `HTTP ${response.status}` },
  );
}

/** The content service (datasets, documents, search), as an API key or a session bearer. */
export function contentClient(baseUrl: string, credential: string) {
  const client = createClient<ContentPaths>({
    baseUrl,
    headers: { Authorization: `Bearer ${credential}` },
  });
  return {
    raw: client,
    async createDataset(name: string, visibility: Dataset["visibility"] = "private") {
      const { data, error, response } = await client.POST("/api/v1/datasets", {
        body: { name, visibility },
      });
      if (data === undefined) throw failed(response, error);
      return data;
    },
    async search(ref: string, query: string, topK = 5): Promise<SearchResponse> {
      const { data, error, response } = await client.POST("/api/v1/datasets/{ref}/search", {
        params: { path: { ref } },
        body: { query, top_k: topK, mode: "hybrid" },
      });
      if (data === undefined) throw failed(response, error);
      return data;
    },
    async balance() {
      const { data, error, response } = await client.GET("/api/v1/credits/balance");
      if (data === undefined) throw failed(response, error);
      return data;
    },
  };
}

/** The auth service: sign in (the `set-auth-token` header is the bearer), make API keys. */
export function authClient(baseUrl: string) {
  const client = createClient<AuthPaths>({ baseUrl });
  return {
    raw: client,
    async signIn(email: string, password: string): Promise<string> {
      const { data, error, response } = await client.POST("/api/auth/sign-in/email", {
        body: { email, password },
      });
      if (data === undefined) throw failed(response, error);
      return response.headers.get("set-auth-token") ?? data.token;
    },
    async createApiKey(session: string, name: string): Promise<ApiKeyCreated> {
      const { data, error, response } = await client.POST("/api/v1/api-keys", {
        headers: { Authorization: `Bearer ${session}` },
        body: { name, scopes: ["read"] },
      });
      if (data === undefined) throw failed(response, error);
      return data;
    },
  };
}
