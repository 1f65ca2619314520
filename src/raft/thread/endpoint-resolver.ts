import { rpcChannelCredentials } from "../../common/tls.js";
import type { RaftEndpointResponse__Output } from "../../gen/proto/drover/raft/RaftEndpointResponse.js";
import type { RaftOperatorClient } from "../../gen/proto/drover/raft/RaftOperator.js";
import { raftChannelOptions, raftProto } from "../grpc-transport.js";

/**
 * A peer's Raft listener from its RPC address: one RaftOperator/RaftEndpoint call on the peer's
 * RPC port (its main thread answers). The transport caches the answer per peer and asks again
 * when its calls find nobody there.
 */
export class EndpointResolver {
  private readonly clients = new Map<string, RaftOperatorClient>();

  resolve(rpcAddress: string): Promise<string> {
    let client = this.clients.get(rpcAddress);
    if (client === undefined) {
      const Client = raftProto().drover.raft.RaftOperator;
      client = new Client(rpcAddress, rpcChannelCredentials("server"), raftChannelOptions());
      this.clients.set(rpcAddress, client);
    }
    const call = client;
    return new Promise((resolve, reject) => {
      call.RaftEndpoint(
        {},
        { deadline: Date.now() + 2000 },
        (error, response?: RaftEndpointResponse__Output) => {
          if (error !== null) reject(error);
          else if (response === undefined || response.address === "") reject(new Error("no raft endpoint"));
          else resolve(joinHost(rpcAddress, response.address));
        },
      );
    });
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}

/** `answer`'s port on the RPC address's host when `answer` names no host of its own (0.0.0.0, ::). */
export function joinHost(rpcAddress: string, answer: string): string {
  const at = answer.lastIndexOf(":");
  const host = answer.slice(0, at).replace(/^\[|\]$/g, "");
  if (host !== "0.0.0.0" && host !== "::" && host !== "") return answer;
  return `${rpcAddress.slice(0, rpcAddress.lastIndexOf(":"))}:${answer.slice(at + 1)}`;
}
