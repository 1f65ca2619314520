/**
 * `npm run bench -- raft-transport [--seconds S] [--bytes B]`: the gRPC Raft transport alone, two
 * `GrpcTransport`s on loopback in one process. Server "a" keeps W appends (one entry of B bytes)
 * outstanding to "b"; "b" answers each with an appResp on its own stream, and each answer lets
 * "a" send the next append (the leader/follower exchange of one write, minus disk and core).
 * Metrics per window W ∈ {1, 64}: round trips per second and process CPU µs per round trip
 * (both ends together: encode, gRPC, decode, in both directions).
 */
import * as grpc from "@grpc/grpc-js";
import { silentLogger } from "../src/common/log.js";
import { type Message, message } from "../src/raft/core/types.js";
import { GrpcTransport, raftChannelOptions, type TransportHandler } from "../src/raft/grpc-transport.js";
import type { BenchResult } from "./harness.js";

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

interface Side {
  transport: GrpcTransport;
  server: grpc.Server;
  address: string;
}

async function side(id: string, onMessage: (m: Message) => void): Promise<Side> {
  const server = new grpc.Server(raftChannelOptions());
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    ),
  );
  const address = `127.0.0.1:${port}`;
  const transport = new GrpcTransport({ id, address, log: silentLogger(), openSnapshot: () => [] as never });
  transport.addToServer(server);
  const handler: TransportHandler = {
    onMessage,
    receiveSnapshot: () => Promise.reject(new Error("no snapshots in this bench")),
    onUnreachable: (peer) => {
      throw new Error(`bench: ${peer} unreachable`);
    },
    onSnapshotStatus: () => undefined,
    onInboundStreamLost: () => undefined,
    onPeerAddress: () => undefined,
  };
  transport.setHandler(handler);
  return { transport, server, address };
}

async function phase(
  window: number,
  seconds: number,
  bytes: number,
): Promise<{ rtPerS: number; cpuUs: number }> {
  const data = new Uint8Array(bytes).fill(7);
  let index = 0;
  let acked = 0;
  let stopAt = Number.POSITIVE_INFINITY;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let inFlight = 0;
  const sendApp = (): void => {
    const prev = index++;
    inFlight++;
    a.transport.send([
      message({
        type: "app",
        from: "a",
        to: "b",
        term: 5,
        logTerm: 5,
        index: prev,
        commit: Math.max(0, prev - window),
        entries: [{ index: prev + 1, term: 5, type: "normal", data }],
      }),
    ]);
  };
  const a: Side = await side("a", (m) => {
    if (m.type !== "appResp") return;
    acked++;
    inFlight--;
    if (performance.now() < stopAt) sendApp();
    else if (inFlight === 0) finish();
  });
  const b: Side = await side("b", (m) => {
    if (m.type !== "app") return;
    b.transport.send([
      message({ type: "appResp", from: "b", to: "a", term: 5, index: m.index + m.entries.length }),
    ]);
  });
  a.transport.setPeer("b", b.address);
  b.transport.setPeer("a", a.address);
  // Warm up (connections, JIT) for a second, then measure.
  stopAt = performance.now() + 1000;
  for (let i = 0; i < window; i++) sendApp();
  await done;
  const measuredFrom = acked;
  const started = performance.now();
  const cpu = process.cpuUsage();
  stopAt = started + seconds * 1000;
  const measured = new Promise<void>((resolve) => {
    finish = resolve;
  });
  for (let i = 0; i < window; i++) sendApp();
  await measured;
  const used = process.cpuUsage(cpu);
  const elapsed = (performance.now() - started) / 1000;
  const trips = acked - measuredFrom;
  a.transport.close();
  b.transport.close();
  a.server.forceShutdown();
  b.server.forceShutdown();
  return { rtPerS: trips / elapsed, cpuUs: (used.user + used.system) / trips };
}

export async function run(args: string[]): Promise<BenchResult> {
  const seconds = arg(args, "seconds", 5);
  const bytes = arg(args, "bytes", 256);
  const metrics: Record<string, number> = {};
  const rows: Array<Record<string, string | number>> = [];
  for (const window of [1, 64]) {
    const { rtPerS, cpuUs } = await phase(window, seconds, bytes);
    metrics[`round_trips_per_s_w${window}`] = rtPerS;
    metrics[`cpu_us_per_round_trip_w${window}`] = cpuUs;
    rows.push({ window, round_trips_per_s: rtPerS, cpu_us_per_round_trip: cpuUs });
  }
  return {
    metrics,
    rows,
    notes: [`${bytes}-byte entry per append, ${seconds} s per window, both transports in one process`],
  };
}
