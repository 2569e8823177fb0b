// The official MCP TypeScript SDK (@modelcontextprotocol/sdk) against a FLTR dataset endpoint.
// Usage: MCP_URL=... MCP_KEY=fltr_... node mcp-client.mjs '<search arguments as JSON>'
// Prints one JSON line: {"protocolVersion", "instructions", "tools", "search"}.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const url = new URL(process.env.MCP_URL);
const transport = new StreamableHTTPClientTransport(url, {
  requestInit: { headers: { Authorization: `Bearer ${process.env.MCP_KEY}` } },
});
const client = new Client({ name: "fltr-compat", version: "1.0.0" });
await client.connect(transport);
const tools = await client.listTools();
const search = await client.callTool({
  name: "search",
  arguments: JSON.parse(process.argv[2] ?? '{"query": "test"}'),
});
console.log(
  JSON.stringify({
    protocolVersion: transport.protocolVersion ?? null,
    instructions: client.getInstructions() ?? null,
    tools: tools.tools.map((t) => ({ name: t.name, hasOutputSchema: Boolean(t.outputSchema) })),
    search,
  }),
);
await client.close();
