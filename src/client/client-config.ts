/** What a client agent is told (flags and the `client` block of the agent config). */
export interface ClientConfig {
  /** The node's Name. */
  nodeName: string;
  /** Holds the client's state DB (`client/state`) and allocation dirs (`alloc/`). */
  dataDir: string;
  /** Address the client's gRPC (ClientFs) listens on, and the network its tasks are reached on. */
  bind: string;
  /** The client's gRPC port for servers forwarding log requests; 0 picks a free port. */
  rpcPort: number;
  /** host:port of the agent's HTTP API, advertised as the node's HTTPAddr. */
  httpAddress: string;
  region: string;
  datacenter: string;
  nodeClass: string;
  nodePool: string;
  meta: Record<string, string>;
  /** gRPC addresses of servers; any one is enough, the client learns the rest. */
  servers: string[];
  cpuTotalComputeMhz: number | undefined;
  memoryTotalMb: number | undefined;
  /** Drivers that are off unless enabled (raw_exec, mock). */
  driverEnable: string[];
  reserved: ReservedConfig;
  /**
   * `acl { enabled }`: log requests servers forward here are checked (read-logs on the
   * allocation's namespace) with the caller's token, by asking a server.
   */
  aclEnabled?: boolean;
}

/** Resources kept back for the machine itself (Nomad's `client { reserved { … } }`). */
export interface ReservedConfig {
  cpuMhz: number;
  memoryMb: number;
  diskMb: number;
  /** "22,80,8000-8100". */
  ports: string;
}

export const NO_RESERVED: ReservedConfig = { cpuMhz: 0, memoryMb: 0, diskMb: 0, ports: "" };
