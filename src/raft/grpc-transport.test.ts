import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../common/log.js";
import { type Message, message, type SnapshotMetadata } from "./core/types.js";
import { GrpcTransport, raftChannelOptions, raftProto, type TransportHandler } from "./grpc-transport.js";
import { SnapshotStore } from "./snapshot-store.js";

interface Endpoint {
  transport: GrpcTransport;
  server: grpc.Server;
  address: string;
  received: Message[];
  told: string[];
  unreachable: string[];
  snapshotStatus: Array<[string, boolean]>;
  snapshots: SnapshotStore;
  /** What the node would send instead of the snapshot the core asks for (none: the same). */
  newer: SnapshotMetadata | undefined;
  /** Snapshots opened for sending, and closed again. */
  opened: number;
  closed: number;
  waiters: Array<() => void>;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function endpoint(
  id: string,
  maxMessageBytes?: number,
  resolveAddress?: (address: string) => Promise<string>,
): Promise<Endpoint> {
  const dir = mkdtempSync(join(tmpdir(), `drover-transport-${id}-`));
  const snapshots = await SnapshotStore.open(dir);
  const server = new grpc.Server(raftChannelOptions());
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    ),
  );
  const transport = new GrpcTransport({
    id,
    address: `127.0.0.1:${port}`,
    log: silentLogger(),
    openSnapshot: async (requested) => {
      const metadata = ep.newer ?? requested;
      ep.opened++;
      return { metadata, chunks: snapshots.read(metadata), close: () => ep.closed++ };
    },
    ...(maxMessageBytes === undefined ? {} : { maxMessageBytes }),
    resolveAddress,
  });
  transport.addToServer(server);
  const ep: Endpoint = {
    transport,
    server,
    address: `127.0.0.1:${port}`,
    received: [],
    told: [],
    unreachable: [],
    snapshotStatus: [],
    snapshots,
    newer: undefined,
    opened: 0,
    closed: 0,
    waiters: [],
  };
  const wake = (): void => {
    for (const waiter of ep.waiters.splice(0)) waiter();
  };
  const handler: TransportHandler = {
    onMessage: (m) => {
      ep.received.push(m);
      wake();
    },
    receiveSnapshot: async (m, chunks) => {
      const meta = m.snapshot?.metadata;
      if (meta === undefined) throw new Error("no metadata");
      await snapshots.write({ index: meta.index, term: meta.term }, chunks);
      ep.received.push(m);
      wake();
    },
    onUnreachable: (peer) => {
      ep.unreachable.push(peer);
      wake();
    },
    onSnapshotStatus: (peer, ok) => {
      ep.snapshotStatus.push([peer, ok]);
      wake();
    },
    onInboundStreamLost: () => undefined,
    onPeerAddress: (peer, address) => {
      ep.told.push(`${peer}=${address}`);
    },
  };
  transport.setHandler(handler);
  cleanups.push(() => {
    transport.close();
    server.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });
  return ep;
}

async function until(ep: Endpoint, condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise<void>((resolve) => ep.waiters.push(resolve));
}

const app = (from: string, to: string, index: number): Message =>
  message({
    type: "app",
    from,
    to,
    term: 3,
    index,
    logTerm: 3,
    commit: index,
    entries: [{ index: index + 1, term: 3, type: "normal", data: new TextEncoder().encode(`v${index}`) }],
  });

describe("GrpcTransport", () => {
  it("delivers pipelined appends in order and votes by unary call, fields intact", async () => {
    const a = await endpoint("a");
    const b = await endpoint("b");
    a.transport.setPeer("b", b.address);
    for (let i = 0; i < 200; i++) a.transport.send([app("a", "b", i)]);
    a.transport.send([message({ type: "vote", from: "a", to: "b", term: 4, logTerm: 3, index: 200 })]);
    await until(b, () => b.received.length === 201);
    const appends = b.received.filter((m) => m.type === "app");
    expect(appends.map((m) => m.index)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(appends[7]).toEqual(app("a", "b", 7));
    expect(b.received.find((m) => m.type === "vote")?.term).toBe(4);
    expect(b.told).toContain(`a=${a.address}`);
  });

  it("resolves a peer's listener from its stored address, and again once the listener moved", async () => {
    let b = await endpoint("b");
    const asked: string[] = [];
    // What a peer's RPC port answers (RaftOperator/RaftEndpoint): where its Raft listener is now.
    const a = await endpoint("a", undefined, async (address) => {
      asked.push(address);
      return b.address;
    });
    a.transport.setPeer("b", "rpc-of-b:4647");
    // Until the listener is known, sends are dropped and the peer reported unreachable: resend
    // on each report, as Raft does.
    const deliver = async (to: Endpoint, index: number): Promise<void> => {
      for (;;) {
        const seen = a.unreachable.length;
        a.transport.send([app("a", "b", index)]);
        await new Promise<void>((resolve) => {
          const check = (): void => {
            if (to.received.some((m) => m.index === index) || a.unreachable.length > seen) resolve();
            else {
              to.waiters.push(check);
              a.waiters.push(check);
            }
          };
          check();
        });
        if (to.received.some((m) => m.index === index)) return;
      }
    };
    await deliver(b, 1);
    expect(asked).toEqual(["rpc-of-b:4647"]);
    await deliver(b, 2);
    expect(asked).toHaveLength(1);
    // b restarts on another port: calls to the old listener fail as UNAVAILABLE, the transport
    // asks the RPC address again and reaches the new one.
    b.transport.close();
    b.server.forceShutdown();
    b = await endpoint("b");
    await deliver(b, 3);
    expect(asked.length).toBeGreaterThanOrEqual(2);
    expect(new Set(asked)).toEqual(new Set(["rpc-of-b:4647"]));
  });

  it("keeps a peer's order when a turn's messages are flushed early and more follow", async () => {
    const a = await endpoint("a");
    const b = await endpoint("b");
    a.transport.setPeer("b", b.address);
    // Interleaved flush() calls and sends in one turn: the flushed messages leave at once, the
    // rest at the end of the turn, and the peer steps all of them in the order they were sent.
    for (let i = 0; i < 60; i++) {
      a.transport.send([app("a", "b", i)]);
      if (i % 3 === 0) a.transport.flush();
    }
    a.transport.flush();
    a.transport.flush(); // nothing pending: a no-op
    await until(b, () => b.received.length === 60);
    expect(b.received.map((m) => m.index)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(a.unreachable).toEqual([]);
  });

  it("splits what one turn queued for a peer into stream messages under the size limit, in order", async () => {
    const a = await endpoint("a", 16 * 1024);
    const b = await endpoint("b");
    a.transport.setPeer("b", b.address);
    const big = (index: number): Message =>
      message({
        type: "app",
        from: "a",
        to: "b",
        term: 3,
        index,
        logTerm: 3,
        entries: [
          { index: index + 1, term: 3, type: "normal", data: new Uint8Array(3000).fill(index % 256) },
        ],
      });
    // 100 × 3 KB in one turn: one packed message would be ~300 KB, far over the 16 KiB limit.
    for (let i = 0; i < 100; i++) a.transport.send([big(i)]);
    await until(b, () => b.received.length === 100);
    expect(b.received).toEqual(Array.from({ length: 100 }, (_, i) => big(i)));
    expect(a.unreachable).toEqual([]);
  });

  it("streams a snapshot in chunks and reports success to the sender", async () => {
    const a = await endpoint("a");
    const b = await endpoint("b");
    a.transport.setPeer("b", b.address);
    const bytes = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => i % 251);
    async function* source(): AsyncIterable<Uint8Array> {
      yield bytes;
    }
    await a.snapshots.write({ index: 50, term: 2 }, source());
    const confState = { voters: ["a", "b"], learners: [], votersOutgoing: [] };
    a.transport.send([
      message({
        type: "snap",
        from: "a",
        to: "b",
        term: 2,
        snapshot: { metadata: { index: 50, term: 2, confState }, data: new Uint8Array(0) },
      }),
    ]);
    await until(a, () => a.snapshotStatus.length === 1);
    expect(a.snapshotStatus).toEqual([["b", true]]);
    expect(b.received[0]?.snapshot?.metadata).toEqual({ index: 50, term: 2, confState });
    const chunks: Uint8Array[] = [];
    for await (const chunk of b.snapshots.read({ index: 50, term: 2 })) chunks.push(chunk);
    expect(Buffer.concat(chunks).equals(Buffer.from(bytes))).toBe(true);
  });

  it("sends the snapshot the node opens, with its metadata, when it is newer than the one asked for", async () => {
    const a = await endpoint("a");
    const b = await endpoint("b");
    a.transport.setPeer("b", b.address);
    const confState = { voters: ["a", "b"], learners: [], votersOutgoing: [] };
    async function* source(): AsyncIterable<Uint8Array> {
      yield new TextEncoder().encode("state at 80");
    }
    await a.snapshots.write({ index: 80, term: 3 }, source());
    a.newer = { index: 80, term: 3, confState };
    a.transport.send([
      message({
        type: "snap",
        from: "a",
        to: "b",
        term: 3,
        snapshot: { metadata: { index: 50, term: 2, confState }, data: new Uint8Array(0) },
      }),
    ]);
    await until(a, () => a.snapshotStatus.length === 1);
    expect(a.snapshotStatus).toEqual([["b", true]]);
    expect(b.received[0]?.snapshot?.metadata).toEqual({ index: 80, term: 3, confState });
    const chunks: Uint8Array[] = [];
    for await (const chunk of b.snapshots.read({ index: 80, term: 3 })) chunks.push(chunk);
    expect(new TextDecoder().decode(Buffer.concat(chunks))).toBe("state at 80");
    expect([a.opened, a.closed]).toEqual([1, 1]);
  });

  it("reports a snapshot the peer refuses mid-stream as failed, and can send the next one", async () => {
    const a = await endpoint("a");
    const b = await endpoint("b");
    a.transport.setPeer("b", b.address);
    // 24 chunks of 1 MiB: the refusal arrives while the sender is still reading and writing
    // chunks (under flow control), which once crashed the sender with an unhandled rejection.
    async function* source(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < 24; i++) yield new Uint8Array(1 << 20).fill(i);
    }
    await a.snapshots.write({ index: 70, term: 3 }, source());
    const confState = { voters: ["a", "b"], learners: [], votersOutgoing: [] };
    const snap = message({
      type: "snap",
      from: "a",
      to: "b",
      term: 3,
      snapshot: { metadata: { index: 70, term: 3, confState }, data: new Uint8Array(0) },
    });
    // b refuses everything from a once it has read the leading message.
    b.transport.faults.isolate();
    a.transport.send([snap]);
    await until(a, () => a.snapshotStatus.length === 1);
    expect(a.snapshotStatus).toEqual([["b", false]]);
    // A failed send gives its snapshot back too (compaction waits for open ones).
    expect([a.opened, a.closed]).toEqual([1, 1]);
    expect(b.received).toEqual([]);

    // The failed send released the peer: the next attempt goes through.
    b.transport.faults.heal();
    a.transport.send([snap]);
    await until(a, () => a.snapshotStatus.length === 2);
    expect(a.snapshotStatus[1]).toEqual(["b", true]);
    expect(b.received[0]?.snapshot?.metadata).toEqual({ index: 70, term: 3, confState });
  });

  it("drops messages across an injected partition and reports an unreachable peer", async () => {
    const a = await endpoint("a");
    const b = await endpoint("b");
    a.transport.setPeer("b", b.address);
    a.transport.faults.partition(["b"]);
    a.transport.send([app("a", "b", 1)]);
    a.transport.faults.heal();
    a.transport.send([app("a", "b", 2)]);
    await until(b, () => b.received.length === 1);
    expect(b.received.map((m) => m.index)).toEqual([2]);

    a.transport.setPeer("c", "127.0.0.1:1"); // nothing listens there
    a.transport.send([message({ type: "vote", from: "a", to: "c", term: 1 })]);
    await until(a, () => a.unreachable.includes("c"));
  });

  it("fails a packed stream that carries garbage, delivering nothing", async () => {
    const b = await endpoint("b");
    const Client = raftProto().drover.raft.RaftTransport;
    const client = new Client(b.address, grpc.credentials.createInsecure(), raftChannelOptions());
    cleanups.push(() => client.close());
    const status = new Promise<number>((resolve) => {
      const packed = client.StreamPacked((error) => resolve(error?.code ?? grpc.status.OK));
      packed.write({ messages: new Uint8Array([1, 2, 3]) });
    });
    expect(await status).toBe(grpc.status.INVALID_ARGUMENT);
    expect(b.received).toHaveLength(0);
  });
});
