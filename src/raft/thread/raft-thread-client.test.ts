import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Entry, LogIndex } from "../core/types.js";
import type { StateMachine } from "../state-machine.js";
import { RaftThreadClient } from "./raft-thread-client.js";

/**
 * One server's real Raft thread (needs dist/: the thread runs the compiled raft-thread.js) with
 * a key/value state machine on this thread: results back to the proposer, snapshots taken from
 * here and restored into a fresh state machine across the port, and a state machine failure
 * reported as fatal.
 */
class KvMachine implements StateMachine {
  readonly values = new Map<string, string>();
  applied: LogIndex = 0;
  failOn: string | undefined;
  snapshots = 0;
  restores = 0;
  /** While set, each apply waits until `release` (it is called at once, then held). */
  private held: Array<() => void> | undefined;
  /** Called when an apply starts to wait (see `hold`). */
  onHeld: (() => void) | undefined;

  hold(): void {
    this.held = [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const open of held) open();
  }

  appliedIndex(): LogIndex {
    return this.applied;
  }

  async apply(entries: readonly Entry[]): Promise<unknown[]> {
    const held = this.held;
    if (held !== undefined) {
      await new Promise<void>((resolve) => {
        held.push(resolve);
        this.onHeld?.();
      });
    }
    const results: unknown[] = [];
    for (const entry of entries) {
      this.applied = entry.index;
      if (entry.type !== "normal" || entry.data.byteLength === 0) {
        results.push(undefined);
        continue;
      }
      const { k, v } = JSON.parse(new TextDecoder().decode(entry.data)) as { k: string; v: string };
      if (k === this.failOn) throw new Error(`cannot apply ${k}`);
      this.values.set(k, v);
      results.push({ index: entry.index, stored: `${k}=${v}` });
    }
    return results;
  }

  async snapshot(): Promise<{ index: LogIndex; chunks: AsyncIterable<Uint8Array> }> {
    this.snapshots++;
    const bytes = new TextEncoder().encode(JSON.stringify([...this.values]));
    // Two chunks, the first a view into a larger buffer (it must cross as its own bytes).
    const half = bytes.subarray(0, bytes.length >> 1);
    const rest = bytes.subarray(bytes.length >> 1);
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield half;
      yield rest;
    }
    return { index: this.applied, chunks: chunks() };
  }

  async restore(index: LogIndex, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    this.restores++;
    const parts: Uint8Array[] = [];
    for await (const chunk of chunks) parts.push(chunk);
    const text = new TextDecoder().decode(Buffer.concat(parts));
    this.values.clear();
    if (text !== "") for (const [k, v] of JSON.parse(text) as Array<[string, string]>) this.values.set(k, v);
    this.applied = index;
  }
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function launch(dataDir: string, machine: KvMachine, onFatal: (error: Error) => void = () => undefined) {
  const client = RaftThreadClient.launch({
    settings: {
      id: "solo",
      // Never dialled: a single server never calls itself.
      rpcAddress: "127.0.0.1:1",
      bind: "127.0.0.1",
      serfPort: 0,
      dataDir,
      bootstrapExpect: 1,
      join: [],
      snapshotThresholdEntries: 4,
      snapshotIntervalMs: 0,
      trailingLogs: 0,
      log: { name: "solo", level: "silent" },
      metricsAgent: "solo",
    },
    stateMachine: machine,
    log: silent,
    onFatal,
  });
  cleanups.push(() => client.stop());
  return client;
}

const silent = { error: () => undefined, child: () => silent } as unknown as Parameters<
  typeof RaftThreadClient.launch
>[0]["log"];

const put = (k: string, v: string): Uint8Array => new TextEncoder().encode(JSON.stringify({ k, v }));

async function leading(client: RaftThreadClient): Promise<void> {
  await client.running();
  if (client.isLeader()) return;
  await new Promise<void>((resolve) => {
    const off = client.onLeaderChange(({ isSelf }) => {
      if (!isSelf) return;
      off();
      resolve();
    });
  });
}

describe("RaftThreadClient", () => {
  it("applies on this thread and hands the proposer its result; getters follow the thread", async () => {
    const dir = mkdtempSync(join(tmpdir(), "drover-raft-thread-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const machine = new KvMachine();
    const client = launch(dir, machine);
    await leading(client);
    expect(client.leaderId()).toBe("solo");
    expect(client.configuration().servers.map((s) => s.id)).toEqual(["solo"]);
    expect(client.raftEndpoint()).toMatch(/^127\.0\.0\.1:\d+$/);
    const result = (await client.propose(put("a", "1"))) as { index: number; stored: string };
    expect(result.stored).toBe("a=1");
    expect(machine.values.get("a")).toBe("1");
    expect(await client.readBarrier()).toBeGreaterThanOrEqual(result.index);
    const names = (await client.metrics()).map((m) => m.name);
    expect(names).toContain("drover_raft_commit_index");
    expect(names).toContain("drover_raft_thread_event_loop_lag_max_seconds");
  });

  it("answers a read barrier only once this thread applied up to its index", async () => {
    const dir = mkdtempSync(join(tmpdir(), "drover-raft-thread-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const machine = new KvMachine();
    const client = launch(dir, machine);
    // Runs before the client's stop (cleanups run last first), which waits for held applies.
    cleanups.push(() => machine.release());
    await leading(client);
    await client.propose(put("a", "1"));
    // The next write commits, and its apply here is held: the thread has handed it over already.
    machine.hold();
    const applying = new Promise<void>((resolve) => {
      machine.onHeld = resolve;
    });
    const written = client.propose(put("b", "2")) as Promise<{ index: number }>;
    await applying;
    let answered: number | undefined;
    const barrier = client.readBarrier().then((index) => {
      answered = index;
      return index;
    });
    // The thread's answer crossed and is held here until main applied up to its index.
    while (client.heldReadBarriers === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(client.heldReadBarriers).toBe(1);
    expect(answered).toBeUndefined();
    expect(machine.values.has("b")).toBe(false);
    machine.release();
    const index = await barrier;
    expect(machine.values.get("b")).toBe("2");
    expect(index).toBeGreaterThanOrEqual((await written).index);
    expect(machine.applied).toBeGreaterThanOrEqual(index);
  });

  it("snapshots the state from this thread and restores it into a fresh state machine", async () => {
    const dir = mkdtempSync(join(tmpdir(), "drover-raft-thread-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const first = new KvMachine();
    const client = launch(dir, first);
    await leading(client);
    for (let i = 0; i < 12; i++) await client.propose(put(`k${i}`, `v${i}`));
    expect(first.snapshots).toBeGreaterThan(0);
    await client.stop();
    // A state machine that lost everything (applied index 0): Raft restores its snapshot through
    // the port, then replays the log after it.
    const second = new KvMachine();
    const again = launch(dir, second);
    await leading(again);
    await again.readBarrier();
    expect(second.restores).toBe(1);
    expect([...second.values]).toEqual([...first.values]);
  });

  it("reports a state machine failure as fatal and fails what waits", async () => {
    const dir = mkdtempSync(join(tmpdir(), "drover-raft-thread-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const machine = new KvMachine();
    machine.failOn = "bad";
    let fatal: Error | undefined;
    const died = new Promise<void>((resolve) => {
      const client = launch(dir, machine, (error) => {
        fatal = error;
        resolve();
      });
      void leading(client).then(() => client.propose(put("bad", "x")).catch(() => undefined));
    });
    await died;
    expect(fatal?.message).toMatch(/cannot apply bad/);
  });
});
