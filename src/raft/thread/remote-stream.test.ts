import { MessageChannel, type MessagePort } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { NotLeaderError, TimeoutError, ValidationError } from "../../common/errors.js";
import { ConfChangeRejectedError } from "../core/index.js";
import { joinHost } from "./endpoint-resolver.js";
import { errorFromWire, errorToWire, type StreamMessage } from "./protocol.js";
import { StreamHost, StreamReader } from "./remote-stream.js";

const ports: MessagePort[] = [];
afterEach(() => {
  for (const port of ports.splice(0)) port.close();
});

/** A holder and a reader on the two ends of a real MessageChannel (as main and the Raft thread). */
function pair(): { host: StreamHost; reader: StreamReader } {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  const host = new StreamHost((m, transfer) => port1.postMessage(m, transfer));
  const reader = new StreamReader((m, transfer) => port2.postMessage(m, transfer));
  port1.on("message", (m: StreamMessage) => host.handle(m));
  port2.on("message", (m: StreamMessage) => reader.handle(m));
  return { host, reader };
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const chunk of chunks) out.push([...chunk]);
  return out;
}

describe("streams across the port", () => {
  it("delivers every byte in order, gathering small chunks into one answer", async () => {
    const { host, reader } = pair();
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 50; i++) yield Uint8Array.of(i, i + 1);
    }
    const got = await collect(reader.read(host.add(source())));
    expect(got.flat()).toEqual(Array.from({ length: 50 }, (_, i) => [i, i + 1]).flat());
    // 100 bytes read at once are far below both limits: one answer.
    expect(got.length).toBe(1);
  });

  it("answers with at most 4 MiB and reads the source no further ahead of the reader", async () => {
    const { host, reader } = pair();
    const MiB = 1 << 20;
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 10; i++) {
        produced += MiB;
        maxAhead = Math.max(maxAhead, produced - consumed);
        yield new Uint8Array(MiB).fill(i);
      }
    }
    const sizes: number[] = [];
    let expected = 0;
    for await (const chunk of reader.read(host.add(source()))) {
      sizes.push(chunk.byteLength);
      // Bytes arrive in order: chunk i of the source is filled with i.
      for (let at = 0; at < chunk.byteLength; at += MiB) expect(chunk[at]).toBe(expected++);
      consumed += chunk.byteLength;
    }
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10 * MiB);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4 * MiB);
    expect(maxAhead).toBeLessThanOrEqual(4 * MiB);
  });

  it("stops gathering once reading the source took its time budget", async () => {
    const { host, reader } = pair();
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 4; i++) {
        // Each chunk costs longer than one answer's budget (20 ms) to make.
        const until = performance.now() + 25;
        while (performance.now() < until) {}
        yield Uint8Array.of(i);
      }
    }
    const got = await collect(reader.read(host.add(source())));
    expect(got).toEqual([[0], [1], [2], [3]]);
  });

  it("sends a view of a larger buffer as its own bytes only", async () => {
    const { host, reader } = pair();
    const big = new Uint8Array(1 << 20).map((_, i) => i % 251);
    async function* source(): AsyncGenerator<Uint8Array> {
      yield big.subarray(1000, 1003);
    }
    const chunks: Uint8Array[] = [];
    for await (const chunk of reader.read(host.add(source()))) chunks.push(chunk);
    expect(chunks).toHaveLength(1);
    expect([...(chunks[0] as Uint8Array)]).toEqual([1000 % 251, 1001 % 251, 1002 % 251]);
    expect((chunks[0] as Uint8Array).buffer.byteLength).toBe(3);
    // The source's buffer was copied, not transferred away.
    expect(big.byteLength).toBe(1 << 20);
  });

  it("leaves a Buffer source's shared memory intact (a Buffer's slice() shares, a copy does not)", async () => {
    const { host, reader } = pair();
    const pool = Buffer.alloc(64, 7);
    const other = pool.subarray(32, 40);
    async function* source(): AsyncGenerator<Uint8Array> {
      yield pool.subarray(0, 4);
    }
    const chunks: Uint8Array[] = [];
    for await (const chunk of reader.read(host.add(source()))) chunks.push(chunk);
    expect([...(chunks[0] as Uint8Array)]).toEqual([7, 7, 7, 7]);
    expect(pool.byteLength).toBe(64);
    expect([...other]).toEqual([7, 7, 7, 7, 7, 7, 7, 7]);
  });

  it("fails the reader with the source's error, typed", async () => {
    const { host, reader } = pair();
    async function* source(): AsyncGenerator<Uint8Array> {
      yield Uint8Array.of(1);
      throw new ValidationError("bad snapshot", "restore");
    }
    await expect(collect(reader.read(host.add(source())))).rejects.toThrow(ValidationError);
  });

  it("closes the source when the reader stops early", async () => {
    const { host, reader } = pair();
    let closed = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        for (let i = 0; ; i++) yield Uint8Array.of(i);
      } finally {
        closed = true;
      }
    }
    // The source never ends: the reader stops after its second answer.
    let answers = 0;
    for await (const _chunk of reader.read(host.add(source()))) if (++answers === 2) break;
    // The cancel crosses the port; the next round trip on a new stream is after it.
    await collect(reader.read(host.add((async function* () {})())));
    expect(closed).toBe(true);
  });
});

describe("errors across the port", () => {
  it("keep their class and fields", () => {
    const notLeader = errorFromWire(errorToWire(new NotLeaderError("s2", "10.0.0.2:4647")));
    expect(notLeader).toBeInstanceOf(NotLeaderError);
    expect(notLeader).toMatchObject({ leaderId: "s2", leaderAddress: "10.0.0.2:4647" });
    expect(errorFromWire(errorToWire(new TimeoutError("late")))).toBeInstanceOf(TimeoutError);
    const invalid = errorFromWire(errorToWire(new ValidationError("empty id", "AddServer")));
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(invalid.message).toBe("AddServer: empty id");
    const rejected = errorFromWire(
      errorToWire(new ConfChangeRejectedError("s1", "another change pending", "pending")),
    );
    expect(rejected).toBeInstanceOf(ConfChangeRejectedError);
    expect(rejected).toMatchObject({ leaderId: "s1", code: "pending" });
    expect(rejected.message).toBe("membership change rejected: another change pending");
  });
});

describe("joinHost", () => {
  it("uses the RPC address's host when the Raft listener names none", () => {
    expect(joinHost("10.0.0.1:4647", "0.0.0.0:4648")).toBe("10.0.0.1:4648");
    expect(joinHost("10.0.0.1:4647", "[::]:4648")).toBe("10.0.0.1:4648");
    expect(joinHost("10.0.0.1:4647", "10.0.0.9:4648")).toBe("10.0.0.9:4648");
  });
});
