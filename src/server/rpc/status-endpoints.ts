import type { ServerAddress, ServerApi } from "../../rpc/server-api.js";
import type { EndpointContext } from "./endpoint-context.js";

/** The status endpoints (Nomad's status_endpoint.go): this server's view of leader and peers. */
export class StatusEndpoints implements Pick<ServerApi, "statusLeader" | "statusPeers"> {
  constructor(private readonly c: EndpointContext) {}

  async statusLeader(): Promise<{ leaderId: string; leaderRpcAddress: string }> {
    const leader = this.c.cluster.leader();
    return { leaderId: leader?.id ?? "", leaderRpcAddress: leader?.rpcAddress ?? "" };
  }

  async statusPeers(): Promise<ServerAddress[]> {
    return this.c.cluster.peers();
  }
}
