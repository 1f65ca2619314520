import { NotFoundError, ValidationError } from "../common/errors.js";
import type { Handler } from "./http-server.js";
import { flagParam } from "./query-params.js";
import { RAFT_PEER } from "./request-schemas.js";
import type { Router } from "./router.js";

/**
 * What a server agent offers the operator routes (ServerAgent implements it; src/api may import
 * src/server's types, not the other way around). Every call works on any server: membership
 * changes are forwarded to the leader by the agent.
 */
export interface OperatorServer {
  raftConfiguration(): {
    index: number;
    servers: ReadonlyArray<{ id: string; address: string; voter: boolean; leader: boolean }>;
  };
  removeRaftPeer(peer: { id?: string; address?: string }): Promise<{ id: string; index: number }>;
  /** Resolves with the id of the server that leads afterwards. */
  transferRaftLeadership(targetId?: string): Promise<string>;
  saveSnapshot(stale: boolean): Promise<{ index: number; chunks: AsyncIterable<Uint8Array> }>;
  restoreSnapshot(file: Uint8Array): Promise<{ index: number; records: number; sourceIndex: number }>;
}

/**
 * The snapshot of a restore request: the file itself as an `application/octet-stream` body (what
 * `drover operator snapshot restore` and `curl --data-binary` send), or, for JSON-only clients,
 * base64-encoded as `{"Snapshot": "<base64>"}` or a bare JSON string (then within the JSON limit).
 */
function snapshotBody(body: unknown): Uint8Array {
  if (Buffer.isBuffer(body)) {
    if (body.length === 0) throw new ValidationError("the snapshot file is empty", "request body");
    return body;
  }
  const encoded =
    typeof body === "string"
      ? body
      : typeof body === "object" && body !== null && !Array.isArray(body)
        ? (body as Record<string, unknown>)["Snapshot"]
        : undefined;
  if (typeof encoded !== "string" || encoded === "")
    throw new ValidationError('expected {"Snapshot": "<base64 of the snapshot file>"}', "request body");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0)
    throw new ValidationError("Snapshot must be base64", "request body");
  return Buffer.from(encoded, "base64");
}

/** `?id=` or `?address=` (exactly one, non-empty), as Nomad's peer operations take them. */
function peerParam(query: URLSearchParams, required: boolean): { id?: string; address?: string } {
  const id = query.get("id") ?? "";
  const address = query.get("address") ?? "";
  if (id !== "" && address !== "") throw new ValidationError("give ?id= or ?address=, not both", "query");
  if (id !== "") return { id };
  if (address !== "") return { address };
  if (required) throw new ValidationError("?id= or ?address= is required", "query");
  return {};
}

/** Nomad's `/v1/operator/...` write routes of a server agent (the configuration is in v1-routes). */
export function addOperatorRoutes(router: Router<Handler>, server: OperatorServer): Router<Handler> {
  router.add(
    "DELETE",
    "/v1/operator/raft/peer",
    async (req) => {
      const removed = await server.removeRaftPeer(peerParam(req.query, true));
      return { body: { ID: removed.id, Index: removed.index } };
    },
    RAFT_PEER,
  );

  router.add(
    "PUT",
    "/v1/operator/raft/transfer-leadership",
    async (req) => {
      const peer = peerParam(req.query, false);
      let targetId = peer.id;
      if (peer.address !== undefined) {
        const entry = server.raftConfiguration().servers.find((s) => s.address === peer.address);
        if (entry === undefined)
          throw new NotFoundError(`no server at address ${peer.address} in the Raft configuration`);
        targetId = entry.id;
      }
      return { body: { Leader: await server.transferRaftLeadership(targetId) } };
    },
    RAFT_PEER,
  );

  router.add("GET", "/v1/operator/snapshot", async (req) => {
    const snapshot = await server.saveSnapshot(flagParam(req.query, "stale"));
    return {
      stream: snapshot.chunks,
      contentType: "application/octet-stream",
      meta: { index: snapshot.index, knownLeader: true, lastContactMs: 0 },
    };
  });

  router.add("PUT", "/v1/operator/snapshot", async (req) => {
    const restored = await server.restoreSnapshot(snapshotBody(req.body));
    return {
      body: { Index: restored.index, Records: restored.records, SnapshotIndex: restored.sourceIndex },
      meta: { index: restored.index, knownLeader: true, lastContactMs: 0 },
    };
  });

  return router;
}
