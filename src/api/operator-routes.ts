import { NotFoundError, ValidationError } from "../shared/errors.js";
import type { Handler } from "./http-server.js";
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
  router.add("DELETE", "/v1/operator/raft/peer", async (req) => {
    const removed = await server.removeRaftPeer(peerParam(req.query, true));
    return { body: { ID: removed.id, Index: removed.index } };
  });

  router.add("PUT", "/v1/operator/raft/transfer-leadership", async (req) => {
    const peer = peerParam(req.query, false);
    let targetId = peer.id;
    if (peer.address !== undefined) {
      const entry = server.raftConfiguration().servers.find((s) => s.address === peer.address);
      if (entry === undefined)
        throw new NotFoundError(`no server at address ${peer.address} in the Raft configuration`);
      targetId = entry.id;
    }
    return { body: { Leader: await server.transferRaftLeadership(targetId) } };
  });

  return router;
}
