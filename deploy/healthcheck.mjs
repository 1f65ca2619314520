// The container image's HEALTHCHECK: exit 0 when the agent answers GET /v1/agent/health with 200
// (it knows a Raft leader), else 1. Slim Node images carry no curl, so this is plain Node.
//
// The agent listens on its --bind address only, so 127.0.0.1 is not always an answer. Asked in
// order: DROVER_ADDR when set (the CLI's own variable), else the container's hostname (Docker
// maps it to the container's address) and loopback, on port 4646 or DROVER_HTTP_PORT.
import { hostname } from "node:os";

const port = process.env.DROVER_HTTP_PORT ?? "4646";
const candidates =
  process.env.DROVER_ADDR !== undefined && process.env.DROVER_ADDR !== ""
    ? [process.env.DROVER_ADDR]
    : [`http://${hostname()}:${port}`, `http://127.0.0.1:${port}`];

let last = "no address to ask";
for (const base of candidates) {
  try {
    const res = await fetch(new URL("/v1/agent/health", base), { signal: AbortSignal.timeout(3_000) });
    if (res.status === 200) process.exit(0);
    last = `${base}: HTTP ${res.status} ${await res.text()}`;
  } catch (error) {
    last = `${base}: ${error instanceof Error ? error.message : String(error)}`;
  }
}
console.error(`unhealthy: ${last}`);
process.exit(1);
