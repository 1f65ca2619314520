import { connect as http2Connect } from "node:http2";
import { connect as netConnect } from "node:net";
import * as grpc from "@grpc/grpc-js";
import fc from "fast-check";
import { Packr } from "msgpackr";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalCluster, type ServerProcess } from "../../src/cli/local-cluster.js";
import type { RaftMessage } from "../../src/gen/proto/drover/raft/RaftMessage.js";
import { raftProto } from "../../src/raft/grpc-transport.js";
import { type CallOutcome, outcomeOf, probe } from "./fixtures/tls.js";

/**
 * Malformed, oversized and out-of-order input against the gRPC port of a real three-server cluster
 * (the Raft transport and the server API share it): raw bytes that are not HTTP/2, gRPC frames cut
 * short or declaring sizes beyond the limit, protobuf of the wrong shape, unknown services and
 * methods, and Raft messages from a fake peer (local-only types, stale terms, replayed and gapped
 * appends, votes from non-members, snapshots whose chunks come in the wrong order). After each
 * batch: every process still runs, the cluster has a leader and serves a write and linearizable
 * reads on every server, the state outside the canary is unchanged, and the calls that could be
 * answered were refused with a gRPC status saying why. Seeded: DROVER_FUZZ_SEED replays a run.
 */

const SEED = Number(process.env["DROVER_FUZZ_SEED"] ?? 20261203);
const NUM_RUNS = Number(process.env["DROVER_FUZZ_RUNS"] ?? 12);
const CANARY = "fuzz/canary";
const FAKE_PEER = "fuzz-peer";

const packr = new Packr({ useRecords: false });

let cluster: LocalCluster;
let rpcAddress: string;
/** The leader's Raft listener (its Raft thread's own port, apart from the RPC port). */
let raftAddress: string;
/** Raft id → gRPC (RPC) address of the members. */
let members = new Map<string, string>();
/** Raft id → the member's Raft listener, where RaftTransport is served. */
let raftListeners = new Map<string, string>();
let memberIds: string[] = [];

/** Where a Raft message for `id` goes: its server's Raft listener, or the leader's for a non-member. */
function addressOf(id: string | undefined): string {
  return raftListeners.get(id ?? "") ?? raftAddress;
}

/** A server's Raft listener, as its RPC port tells another server (RaftOperator/RaftEndpoint). */
function raftEndpoint(address: string): Promise<string> {
  const client = new (raftProto().drover.raft.RaftOperator)(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.RaftEndpoint({}, { deadline: Date.now() + 10_000 }, (error, response) => {
      client.close();
      if (error !== null || response === undefined) reject(error ?? new Error("no answer"));
      else resolve(response.address);
    });
  });
}
let canaryWrites = 0;

// ── wire helpers ──

/** A protobuf varint. */
function varint(value: number): Buffer {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

/** A length-delimited protobuf field. */
function bytesField(field: number, payload: Buffer): Buffer {
  return Buffer.concat([varint((field << 3) | 2), varint(payload.length), payload]);
}

/** A gRPC length-prefixed message: flag, 4-byte big-endian length, payload. */
function grpcFrame(payload: Buffer, declaredLength = payload.length): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(declaredLength >>> 0, 1);
  return Buffer.concat([header, payload]);
}

/** One unary call whose request bytes are sent exactly as given (any service, any method). */
function rawUnary(path: string, request: Buffer, address = rpcAddress): Promise<CallOutcome> {
  return probe(address, path, { request });
}

/** A client-streaming call sending `messages` (raw bytes each) then closing. */
function rawClientStream(
  path: string,
  messages: Buffer[],
  metadata = new grpc.Metadata(),
  address = rpcAddress,
): Promise<CallOutcome> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise<CallOutcome>((resolve) => {
    const call = client.makeClientStreamRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      metadata,
      { deadline: Date.now() + 10_000 },
      (error) => {
        client.close();
        resolve(outcomeOf(error));
      },
    );
    for (const m of messages) call.write(m);
    call.end();
  });
}

/** Raw HTTP/2 to a gRPC port: headers of a gRPC call, then `body` as given, then end. */
function rawHttp2(
  path: string,
  body: Buffer,
  address = rpcAddress,
): Promise<{ grpcStatus: string | undefined; closed: boolean }> {
  return new Promise((resolve) => {
    const session = http2Connect(`http://${address}`);
    session.on("error", () => resolve({ grpcStatus: undefined, closed: true }));
    const req = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
    });
    let grpcStatus: string | undefined;
    const note = (headers: Record<string, unknown>): void => {
      const s = headers["grpc-status"];
      if (typeof s === "string") grpcStatus = s;
    };
    req.on("response", note);
    req.on("trailers", note);
    req.on("data", () => {});
    req.on("error", () => {});
    req.on("close", () => {
      session.close();
      resolve({ grpcStatus, closed: true });
    });
    req.setTimeout(10_000, () => req.close());
    req.end(body);
  });
}

/** Bytes that are not HTTP/2 at all; the server must drop the connection and carry on. */
function rawTcp(bytes: Buffer, address = rpcAddress): Promise<void> {
  return new Promise((resolve) => {
    const [host, port] = address.split(":") as [string, string];
    const socket = netConnect({ host, port: Number(port) }, () => socket.end(bytes));
    socket.on("data", () => {});
    socket.on("error", () => resolve());
    socket.on("close", () => resolve());
    socket.setTimeout(10_000, () => socket.destroy());
  });
}

// ── Raft messages from a fake peer ──

interface WireMessage {
  type: string;
  from: string;
  to: string;
  term: number;
  logTerm?: number;
  index?: number;
  commit?: number;
  entries?: [number, number, boolean, Uint8Array][];
  reject?: boolean;
}

function wireMessage(m: WireMessage): RaftMessage {
  return {
    type: m.type,
    from: m.from,
    to: m.to,
    term: m.term,
    logTerm: m.logTerm ?? 0,
    index: m.index ?? 0,
    entries: m.entries === undefined ? Buffer.alloc(0) : packr.pack(m.entries),
    commit: m.commit ?? 0,
    reject: m.reject ?? false,
    rejectHint: 0,
    rejectTerm: 0,
    snapshotMetadata: Buffer.alloc(0),
    context: Buffer.alloc(0),
  };
}

/** The tuple of src/raft/message-codec.ts encodeBatch, with any field replaceable. */
function tuple(m: WireMessage): unknown[] {
  return [
    m.type,
    m.from,
    m.to,
    m.term,
    m.logTerm ?? 0,
    m.index ?? 0,
    m.entries ?? null,
    m.commit ?? 0,
    m.reject ?? false,
    0,
    0,
    null,
    null,
  ];
}

function fromMetadata(id: string): grpc.Metadata {
  const md = new grpc.Metadata();
  // Metadata values must be printable ASCII; an odd sender id still travels in the message.
  md.set("x-drover-raft-from", `${/^[\w.-]+$/.test(id) ? id : FAKE_PEER}=127.0.0.1:1`);
  return md;
}

async function raftSend(messages: WireMessage[], address = addressOf(messages[0]?.to)): Promise<CallOutcome> {
  const proto = raftProto();
  const client = new proto.drover.raft.RaftTransport(address, grpc.credentials.createInsecure());
  return new Promise<CallOutcome>((resolve) => {
    client.Send(
      { messages: messages.map(wireMessage) },
      fromMetadata(messages[0]?.from ?? FAKE_PEER),
      { deadline: Date.now() + 10_000 },
      (error) => {
        client.close();
        resolve(outcomeOf(error));
      },
    );
  });
}

/** StreamPacked with each element of `batches` as one PackedMessages (raw msgpack bytes). */
function raftStream(from: string, batches: Buffer[], address = raftAddress): Promise<CallOutcome> {
  return rawClientStream(
    "/drover.raft.RaftTransport/StreamPacked",
    batches.map((b) => bytesField(1, b)),
    fromMetadata(from),
    address,
  );
}

/** An encoded SnapshotChunk: the optional leading message, and data. */
function snapshotChunk(message: WireMessage | undefined, data: Buffer, metadata?: unknown): Buffer {
  const parts: Buffer[] = [];
  if (message !== undefined) {
    const proto = raftProto();
    const encoded = proto.drover.raft.RaftMessage.serialize({
      ...wireMessage(message),
      snapshotMetadata: metadata === undefined ? Buffer.alloc(0) : packr.pack(metadata),
    });
    parts.push(bytesField(1, Buffer.from(encoded)));
  }
  if (data.length > 0) parts.push(bytesField(2, data));
  return Buffer.concat(parts);
}

// ── cluster observations ──

async function metric(server: ServerProcess, name: string): Promise<number> {
  const res = await fetch(`${server.httpUrl}/v1/metrics?format=prometheus`, {
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, "m").exec(text);
  if (match === null) throw new Error(`${name} not in the metrics of ${server.name}`);
  return Number(match[1]);
}

/** Jobs and variables (without the canary) as every server sees them; they must agree. */
async function fingerprint(): Promise<string> {
  const views = await Promise.all(
    cluster.running().map(async (s) => {
      const jobs = await cluster.http<Array<Record<string, unknown>>>(s, "GET", "/v1/jobs");
      const vars = await cluster.http<Array<Record<string, unknown>>>(s, "GET", "/v1/vars");
      if (jobs.status !== 200 || vars.status !== 200) {
        throw new Error(`${s.name} cannot list: ${JSON.stringify(jobs.body)} ${JSON.stringify(vars.body)}`);
      }
      return JSON.stringify({
        jobs: jobs.body.map((j) => [j["ID"], j["Version"], j["JobModifyIndex"]]),
        vars: vars.body.filter((v) => v["Path"] !== CANARY).map((v) => [v["Path"], v["ModifyIndex"]]),
      });
    }),
  );
  const distinct = new Set(views);
  if (distinct.size !== 1) throw new Error(`servers disagree on the state:\n${views.join("\n")}`);
  return views[0] as string;
}

/** Every process runs, a leader is agreed, a write commits and every server reads it back. */
async function clusterHealthy(context: string): Promise<void> {
  const down = cluster.servers.filter((s) => s.proc === undefined || s.proc.exitCode !== null);
  if (down.length > 0)
    throw new Error(`${context}: ${down.map((s) => s.name).join(", ")} exited; see ${down[0]?.logFile}`);
  const leader = await cluster.waitForLeader(30_000);
  const config = await cluster.http<{ Servers: Array<{ ID: string }> }>(
    leader,
    "GET",
    "/v1/operator/raft/configuration",
  );
  const ids = config.body.Servers.map((s) => s.ID).sort();
  if (JSON.stringify(ids) !== JSON.stringify([...memberIds].sort())) {
    throw new Error(`${context}: the membership changed to ${JSON.stringify(ids)}`);
  }
  const value = `v${++canaryWrites}`;
  const put = await cluster.http(leader, "PUT", `/v1/var/${CANARY}`, { Items: { n: value } });
  if (put.status !== 200)
    throw new Error(`${context}: canary write got ${put.status} ${JSON.stringify(put.body)}`);
  for (const s of cluster.running()) {
    const got = await cluster.http<{ Items: Record<string, string> }>(s, "GET", `/v1/var/${CANARY}`);
    if (got.status !== 200 || got.body.Items["n"] !== value) {
      throw new Error(
        `${context}: ${s.name} read ${got.status} ${JSON.stringify(got.body)}, wanted ${value}`,
      );
    }
  }
}

const REFUSALS = new Set([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.UNIMPLEMENTED,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.INTERNAL,
  grpc.status.ABORTED,
  grpc.status.FAILED_PRECONDITION,
]);

function expectRefused(outcome: CallOutcome, what: string, codes: ReadonlySet<grpc.status> = REFUSALS): void {
  if (!codes.has(outcome.code) || outcome.details === "") {
    throw new Error(
      `${what}: expected a refusal with a message, got ${grpc.status[outcome.code]} "${outcome.details}"`,
    );
  }
}

/**
 * Bad input is the caller's fault: the answer names it (INVALID_ARGUMENT, NOT_FOUND, …), never
 * INTERNAL or UNKNOWN, which the server contract reserves for bugs. The one exception is grpc-js's
 * own answer to bytes that are not protobuf at all, INTERNAL "Error deserializing request" (as
 * grpc-go does), sent before any Drover code runs.
 */
function expectNoFault(outcome: CallOutcome, method: string, input: Buffer): void {
  const undecodable =
    outcome.code === grpc.status.INTERNAL && outcome.details === "Error deserializing request";
  if ((outcome.code === grpc.status.INTERNAL && !undecodable) || outcome.code === grpc.status.UNKNOWN) {
    throw new Error(
      `${method} answered ${grpc.status[outcome.code]} "${outcome.details}" to ${input.toString("hex").slice(0, 120)}`,
    );
  }
}

// ── generators ──

/** One fuzz action against the gRPC port; it checks its own answer. */
type Action = { name: string; run: () => Promise<void> };

const garbage = fc.uint8Array({ minLength: 0, maxLength: 256 }).map((a) => Buffer.from(a));

const serverMethods = fc.constantFrom(
  "/drover.server.Server/JobRegister",
  "/drover.server.Server/JobGet",
  "/drover.server.Server/JobList",
  "/drover.server.Server/NodeRegister",
  "/drover.server.Server/NodeHeartbeat",
  "/drover.server.Server/AllocClientUpdate",
  "/drover.raft.RaftOperator/RemoveServer",
);

/**
 * A valid protobuf envelope around msgpack of the wrong shape, in one bytes/string field 1..3.
 * AddServer is here only: one field alone leaves the id or the address empty, which it must refuse
 * (random bytes could be a well-formed request to add a server).
 */
const wrongTypes: fc.Arbitrary<Action> = fc
  .tuple(
    fc.oneof(serverMethods, fc.constant("/drover.raft.RaftOperator/AddServer")),
    fc.integer({ min: 1, max: 3 }),
    fc.oneof(
      fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(packr.pack(v))),
      garbage,
      fc.constant(Buffer.from(packr.pack({ ID: 42, TaskGroups: "no", Priority: "high" }))),
    ),
  )
  .map(([method, field, payload]) => ({
    name: `wrong types to ${method} field ${field}`,
    run: async () => {
      const outcome = await rawUnary(method, bytesField(field, payload));
      // Reads of nothing may succeed, and so may removing a server that is no member (removal is
      // idempotent; the membership check after the batch shows nothing was removed).
      if (outcome.code === grpc.status.OK && !/Get|List|RemoveServer/.test(method)) {
        throw new Error(`${method} accepted ${payload.toString("hex").slice(0, 80)}`);
      }
      expectNoFault(outcome, method, payload);
    },
  }));

const protobufGarbage: fc.Arbitrary<Action> = fc.tuple(serverMethods, garbage).map(([method, bytes]) => ({
  name: `protobuf garbage to ${method}`,
  run: async () => {
    const outcome = await rawUnary(method, bytes);
    if (outcome.code === grpc.status.OK && !/Get|List|RemoveServer/.test(method)) {
      throw new Error(`${method} accepted garbage ${bytes.toString("hex").slice(0, 80)}`);
    }
    expectNoFault(outcome, method, bytes);
  },
}));

const unknownMethods: fc.Arbitrary<Action> = fc
  .constantFrom(
    "/drover.server.Server/NoSuchMethod",
    "/drover.nope.Nope/Call",
    "/drover.raft.RaftTransport/",
    "//",
    "/drover.raft.RaftTransport/Send/extra",
  )
  .map((path) => ({
    name: `unknown method ${path}`,
    run: async () =>
      expectRefused(await rawUnary(path, Buffer.alloc(0)), path, new Set([grpc.status.UNIMPLEMENTED])),
  }));

const rawFrames: fc.Arbitrary<Action> = fc
  .tuple(
    fc.constantFrom("/drover.raft.RaftTransport/Send", "/drover.server.Server/JobRegister"),
    fc.oneof(
      // Declares more than it sends, then ends: a truncated frame.
      garbage.map((g) => grpcFrame(g, g.length + 100)),
      // Declares far beyond any limit.
      fc.constant(grpcFrame(Buffer.alloc(16), 0xfffffff0)),
      // A header cut in the middle.
      fc.constant(Buffer.from([0, 0, 0])),
      // A compressed flag without any compression negotiated.
      garbage.map((g) => Buffer.concat([Buffer.from([1]), grpcFrame(g).subarray(1)])),
      garbage,
    ),
  )
  .map(([path, body]) => ({
    name: `raw HTTP/2 to ${path}: ${body.length} bytes`,
    run: async () => {
      // Raft's transport is served on the Raft thread's own listener.
      const answer = await rawHttp2(path, body, path.startsWith("/drover.raft.") ? raftAddress : rpcAddress);
      if (answer.grpcStatus === "0") throw new Error(`${path} answered OK to a broken frame`);
    },
  }));

const rawTcpGarbage: fc.Arbitrary<Action> = garbage.map((bytes) => ({
  name: `raw TCP garbage (${bytes.length} bytes)`,
  run: async () => {
    const data = Buffer.concat([
      Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").subarray(0, bytes.length % 24),
      bytes,
    ]);
    // Both listeners: the RPC port and the Raft thread's.
    await rawTcp(data, rpcAddress);
    await rawTcp(data, raftAddress);
  },
}));

/** Message types the transport refuses from the network. */
const NOT_FROM_PEERS = new Set(["hup", "beat", "snapStatus", "unreachable", "checkQuorum", "prop"]);

/** Raft messages a fake peer sends: none may change the state or stop a server. */
function raftActions(term: number): fc.Arbitrary<Action> {
  const member = fc.constantFrom(...memberIds);
  const sender = fc.oneof(member, fc.constantFrom(FAKE_PEER, "", "\u0000"));
  const oldTerm = fc.integer({ min: 0, max: Math.max(0, term - 1) });
  const entries = fc
    .tuple(fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 3 }))
    .map(([start, count, gap]) =>
      Array.from(
        { length: count },
        (_, i) =>
          [start + i * (1 + gap), 1, false, Buffer.from(packr.pack({ garbage: i }))] as [
            number,
            number,
            boolean,
            Uint8Array,
          ],
      ),
    );
  const staleApp = fc
    .tuple(
      sender,
      member,
      oldTerm,
      fc.integer({ min: 0, max: 5_000 }),
      entries,
      fc.integer({ min: 0, max: 10_000 }),
    )
    .map(([from, to, t, index, ents, commit]) => ({
      type: "app",
      from,
      to,
      term: t,
      logTerm: t,
      index,
      entries: ents,
      commit,
    }));
  const staleOthers = fc
    .tuple(
      fc.constantFrom(
        "heartbeat",
        "appResp",
        "vote",
        "preVote",
        "voteResp",
        "readIndex",
        "timeoutNow",
        "transferLeader",
      ),
      sender,
      member,
      oldTerm,
      fc.integer({ min: 0, max: 10_000 }),
    )
    .map(([type, from, to, t, index]) => ({ type, from, to, term: t, logTerm: t, index, commit: index }));
  // Votes and pre-votes from a server outside the configuration, at terms above the current one.
  const outsiderVote = fc
    .tuple(fc.constantFrom("vote", "preVote"), member, fc.integer({ min: 1, max: 3 }))
    .map(([type, to, ahead]) => ({
      type,
      from: FAKE_PEER,
      to,
      term: term + ahead,
      logTerm: term + ahead,
      index: 1e6,
    }));
  const localOnly = fc
    .tuple(fc.constantFrom("hup", "beat", "snapStatus", "unreachable", "checkQuorum", "prop"), sender, member)
    .map(([type, from, to]) => ({ type, from, to, term }));
  // Sent to the first server, whatever they say.
  const misaddressed = fc
    .tuple(sender, fc.constantFrom("not-me", ""))
    .map(([from, to]) => ({ type: "heartbeat", from, to, term: 0 }));
  const message: fc.Arbitrary<WireMessage> = fc.oneof(
    staleApp,
    staleOthers,
    outsiderVote,
    localOnly,
    misaddressed,
  );

  const unary = fc.array(message, { minLength: 1, maxLength: 4 }).map((ms) => ({
    name: `Send ${ms.map((m) => `${m.type}@${m.term}→${m.to}`).join(", ")}`,
    run: async () => {
      const outcome = await raftSend(ms);
      // The receiver steps a batch only if every message in it is one a peer may send to it.
      const first = ms[0]?.to ?? "";
      const receiver = members.has(first)
        ? first
        : ([...raftListeners].find(([, a]) => a === raftAddress)?.[0] ?? "");
      const bad = ms.find(
        (m) => NOT_FROM_PEERS.has(m.type) || m.to !== receiver || m.from === receiver || m.from === "",
      );
      if (bad === undefined && outcome.code !== grpc.status.OK) {
        throw new Error(`a valid batch was refused: ${grpc.status[outcome.code]} ${outcome.details}`);
      }
      if (bad !== undefined) {
        expectRefused(
          outcome,
          `batch with ${bad.type} ${bad.from}→${bad.to}`,
          new Set([grpc.status.INVALID_ARGUMENT]),
        );
      }
    },
  }));
  const packed = fc
    .tuple(
      member,
      fc.array(
        fc.oneof(
          fc
            .array(message, { minLength: 1, maxLength: 4 })
            .map((ms) => Buffer.from(packr.pack(ms.map(tuple)))),
          // Replayed: the same batch twice.
          message.map((m) => Buffer.from(packr.pack([tuple(m), tuple(m)]))),
          // Tuples of the right length with fields of the wrong type.
          fc
            .tuple(
              message,
              fc.integer({ min: 0, max: 12 }),
              fc.constantFrom("x", -1, 1.5, null, [], { a: 1 }, 2 ** 60),
            )
            .map(([m, at, v]) => {
              const t = tuple(m);
              t[at] = v;
              return Buffer.from(packr.pack([t]));
            }),
          fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(packr.pack(v))),
          garbage,
        ),
        { minLength: 1, maxLength: 4 },
      ),
    )
    .map(([from, batches]) => ({
      name: `StreamPacked ${batches.length} batches`,
      run: async () => {
        await raftStream(from, batches, addressOf(from));
      },
    }));
  const snapshot = fc
    .tuple(member, oldTerm, fc.integer({ min: 0, max: 3 }), garbage)
    .map(([to, t, shape, data]) => {
      const snap: WireMessage = { type: "snap", from: FAKE_PEER, to, term: t };
      const metadata = { index: 1 + (t % 5), term: t, confState: { voters: [FAKE_PEER], learners: [] } };
      const chunks = [
        // Data before the leading message.
        [snapshotChunk(undefined, data), snapshotChunk(snap, Buffer.alloc(0), metadata)],
        // No leading message at all.
        [snapshotChunk(undefined, data)],
        // A leading message that is not a snap.
        [snapshotChunk({ ...snap, type: "app" }, data)],
        // A stale snap with garbage data split in two.
        [snapshotChunk(snap, data.subarray(0, 10), metadata), snapshotChunk(undefined, data.subarray(10))],
      ][shape] as Buffer[];
      return {
        name: `InstallSnapshot shape ${shape} term ${t}`,
        run: async () => {
          const outcome = await rawClientStream(
            "/drover.raft.RaftTransport/InstallSnapshot",
            chunks,
            fromMetadata(FAKE_PEER),
            addressOf(to),
          );
          expectRefused(outcome, `InstallSnapshot shape ${shape}`);
        },
      };
    });
  return fc.oneof(unary, packed, snapshot);
}

describe("gRPC fuzz: malformed and replayed input leaves the cluster serving and its state alone", () => {
  beforeAll(async () => {
    cluster = await LocalCluster.start({ servers: 3 });
    const leader = await cluster.waitForLeader(60_000);
    rpcAddress = leader.rpcAddress;
    const config = await cluster.http<{ Servers: Array<{ ID: string; Address: string }> }>(
      leader,
      "GET",
      "/v1/operator/raft/configuration",
    );
    memberIds = config.body.Servers.map((s) => s.ID);
    members = new Map(config.body.Servers.map((s) => [s.ID, s.Address]));
    raftAddress = await raftEndpoint(rpcAddress);
    raftListeners = new Map(
      await Promise.all(
        config.body.Servers.map(async (s) => [s.ID, await raftEndpoint(s.Address)] as [string, string]),
      ),
    );
    expect(memberIds).toHaveLength(3);
    const job = await cluster.http(leader, "POST", "/v1/jobs", {
      Job: {
        ID: "fuzz-anchor",
        TaskGroups: [{ Name: "g", Count: 0, Tasks: [{ Name: "t", Driver: "mock" }] }],
      },
    });
    expect(job.status).toBe(200);
    await clusterHealthy("before fuzzing");
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  async function runBatches(name: string, action: fc.Arbitrary<Action>, runs = NUM_RUNS): Promise<void> {
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 6 }), async (batch) => {
          const before = await fingerprint();
          for (const a of batch) {
            try {
              await a.run();
            } catch (error) {
              throw new Error(`${a.name}: ${String(error)}`);
            }
          }
          await clusterHealthy(`after ${batch.map((a) => a.name).join("; ")}`);
          expect(await fingerprint()).toBe(before);
        }),
        { seed: SEED, numRuns: runs, endOnFailure: true },
      );
    } catch (error) {
      console.error(`grpc-fuzz ${name} failed; replay with DROVER_FUZZ_SEED=${SEED}`);
      throw error;
    }
  }

  it("refuses wrong types, garbage protobuf and unknown methods", async () => {
    await runBatches("calls", fc.oneof(wrongTypes, protobufGarbage, unknownMethods));
  });

  it("survives truncated, oversized and garbage frames on raw HTTP/2 and TCP", async () => {
    await runBatches("frames", fc.oneof(rawFrames, rawTcpGarbage));
  });

  it("ignores or refuses stale, replayed, misaddressed and local-only Raft messages from a fake peer", async () => {
    const leader = await cluster.waitForLeader(30_000);
    const term = await metric(leader, "drover_raft_term");
    await runBatches("raft", raftActions(term));
  });

  it("refuses a frame over the size limit with RESOURCE_EXHAUSTED", async () => {
    const huge = bytesField(1, Buffer.alloc(65 << 20, 0x61));
    const outcome = await rawUnary("/drover.raft.RaftTransport/Send", huge, raftAddress);
    expectRefused(outcome, "65 MiB Send", new Set([grpc.status.RESOURCE_EXHAUSTED]));
    await clusterHealthy("after a 65 MiB frame");
  });

  it("regression: a local-only message type from the network does not stop a server", async () => {
    const before = await fingerprint();
    for (const to of memberIds) {
      const outcome = await raftSend([{ type: "hup", from: FAKE_PEER, to, term: 0 }]);
      expectRefused(outcome, "hup over Send", new Set([grpc.status.INVALID_ARGUMENT]));
      const streamed = await raftStream(
        FAKE_PEER,
        [Buffer.from(packr.pack([tuple({ type: "hup", from: FAKE_PEER, to, term: 0 })]))],
        addressOf(to),
      );
      expectRefused(streamed, "hup over StreamPacked", new Set([grpc.status.INVALID_ARGUMENT]));
    }
    await clusterHealthy("after hup from the network");
    expect(await fingerprint()).toBe(before);
  });

  it("regression: a proposal from the network is refused, not appended or asserted on", async () => {
    const before = await fingerprint();
    const leader = await cluster.waitForLeader(30_000);
    const leaderId = [...members].find(([, address]) => address === leader.rpcAddress)?.[0] ?? "";
    for (const entries of [undefined, [[1, 1, false, Buffer.from("garbage")]] as WireMessage["entries"]]) {
      const prop: WireMessage = { type: "prop", from: FAKE_PEER, to: leaderId, term: 0 };
      if (entries !== undefined) prop.entries = entries;
      expectRefused(await raftSend([prop]), "prop over Send", new Set([grpc.status.INVALID_ARGUMENT]));
      const streamed = await raftStream(
        FAKE_PEER,
        [Buffer.from(packr.pack([tuple(prop)]))],
        addressOf(leaderId),
      );
      expectRefused(streamed, "prop over StreamPacked", new Set([grpc.status.INVALID_ARGUMENT]));
    }
    await clusterHealthy("after proposals from the network");
    expect(await fingerprint()).toBe(before);
  });

  // Seed 7: a stale append whose sender was the receiver itself made the core answer itself, which
  // it asserts against, and Raft stopped on that server.
  it("regression: a message claiming to come from its receiver is refused", async () => {
    for (const to of memberIds) {
      const outcome = await raftSend([{ type: "app", from: to, to, term: 1, logTerm: 1, index: 1 }]);
      expectRefused(outcome, "app from itself", new Set([grpc.status.INVALID_ARGUMENT]));
      const anonymous = await raftSend([{ type: "heartbeat", from: "", to, term: 1 }]);
      expectRefused(anonymous, "heartbeat from nobody", new Set([grpc.status.INVALID_ARGUMENT]));
    }
    await clusterHealthy("after messages from the receiver itself");
  });

  it("regression: AddServer and RemoveServer with an empty id or address are refused", async () => {
    const empty = await rawUnary("/drover.raft.RaftOperator/RemoveServer", Buffer.alloc(0));
    expectRefused(empty, "RemoveServer {}", new Set([grpc.status.INVALID_ARGUMENT]));
    const noAddress = await rawUnary("/drover.raft.RaftOperator/AddServer", bytesField(1, Buffer.from("x")));
    expectRefused(noAddress, "AddServer without address", new Set([grpc.status.INVALID_ARGUMENT]));
    const noId = await rawUnary(
      "/drover.raft.RaftOperator/AddServer",
      bytesField(2, Buffer.from("127.0.0.1:9")),
    );
    expectRefused(noId, "AddServer without id", new Set([grpc.status.INVALID_ARGUMENT]));
    await clusterHealthy("after empty operator calls");
  });

  it("regression: a message addressed to another server is refused, not asserted on", async () => {
    const outcome = await raftSend([{ type: "heartbeat", from: FAKE_PEER, to: "not-me", term: 0 }]);
    expectRefused(outcome, "misaddressed Send", new Set([grpc.status.INVALID_ARGUMENT]));
    const streamed = await raftStream(FAKE_PEER, [
      Buffer.from(packr.pack([tuple({ type: "heartbeat", from: FAKE_PEER, to: "not-me", term: 0 })])),
    ]);
    expectRefused(streamed, "misaddressed StreamPacked", new Set([grpc.status.INVALID_ARGUMENT]));
    await clusterHealthy("after misaddressed messages");
  });
});
