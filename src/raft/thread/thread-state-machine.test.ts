import { describe, expect, it } from "vitest";
import type { Entry } from "../core/types.js";
import type { ThreadMessage } from "./protocol.js";
import type { StreamHost, StreamReader } from "./remote-stream.js";
import {
  ACK_EVERY_BATCHES,
  MAX_UNACKED_BATCHES,
  MAX_UNACKED_BYTES,
  ThreadStateMachine,
} from "./thread-state-machine.js";

/**
 * The Raft thread's proxy alone, main played by the test: applies do not wait for main, main is
 * asked for an ack every ACK_EVERY_BATCHES batches, apply waits once main is too far behind, and
 * a failure main reports later stops the node.
 */
type ApplyMessage = Extract<ThreadMessage, { type: "apply" }>;

function proxy(persists = false): { sm: ThreadStateMachine; posted: ThreadMessage[] } {
  const posted: ThreadMessage[] = [];
  const reader = { read: () => (async function* () {})() } as unknown as StreamReader;
  const host = { add: () => 1 } as unknown as StreamHost;
  return { sm: new ThreadStateMachine((m) => posted.push(m), 0, reader, host, persists), posted };
}

let nextIndex = 1;
function entry(bytes = 8): Entry {
  return { index: nextIndex++, term: 1, type: "normal", data: new Uint8Array(bytes) };
}

const applies = (posted: ThreadMessage[]): ApplyMessage[] =>
  posted.filter((m): m is ApplyMessage => m.type === "apply");

/** Whether `promise` settled within a few turns of the event loop. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe("ThreadStateMachine", () => {
  it("resolves each apply once posted and asks main for an ack every ACK_EVERY_BATCHES batches", async () => {
    const { sm, posted } = proxy();
    const first = nextIndex;
    for (let i = 0; i < 2 * ACK_EVERY_BATCHES; i++) {
      const results = await sm.apply([entry()]);
      expect(results).toHaveLength(1);
    }
    const sent = applies(posted);
    expect(sent).toHaveLength(2 * ACK_EVERY_BATCHES);
    expect(sent.filter((m) => m.ack).map((m) => m.seq)).toEqual([ACK_EVERY_BATCHES, 2 * ACK_EVERY_BATCHES]);
    // RaftNode's applied index is what was handed over.
    expect(sm.appliedIndex()).toBe(first + 2 * ACK_EVERY_BATCHES - 1);
    expect(sm.unackedBatches).toBe(2 * ACK_EVERY_BATCHES);
    // An ack covers every batch up to it.
    sm.answered(ACK_EVERY_BATCHES, { type: "applied", seq: ACK_EVERY_BATCHES });
    expect(sm.unackedBatches).toBe(ACK_EVERY_BATCHES);
  });

  it("waits once more than MAX_UNACKED_BATCHES batches are unacknowledged, until main acks", async () => {
    const { sm, posted } = proxy();
    for (let i = 0; i < MAX_UNACKED_BATCHES; i++) await sm.apply([entry()]);
    const over = sm.apply([entry()]);
    expect(await settled(over)).toBe(false);
    // The batch over the limit asks for its own ack, so the wait ends even with no other ack.
    const last = applies(posted).at(-1);
    expect(last?.ack).toBe(true);
    // The ack asked for half a window ago leaves room.
    sm.answered(ACK_EVERY_BATCHES, { type: "applied", seq: ACK_EVERY_BATCHES });
    expect(await settled(over)).toBe(true);
    expect(sm.unackedBatches).toBe(MAX_UNACKED_BATCHES + 1 - ACK_EVERY_BATCHES);
  });

  it("waits while more than MAX_UNACKED_BYTES bytes are unacknowledged", async () => {
    const { sm, posted } = proxy();
    const half = (MAX_UNACKED_BYTES >> 1) + 1;
    await sm.apply([entry(half)]);
    expect(applies(posted)[0]?.ack).toBe(true);
    const over = sm.apply([entry(half)]);
    expect(await settled(over)).toBe(false);
    sm.answered(1, { type: "applied", seq: 1 });
    expect(await settled(over)).toBe(true);
  });

  it("counts a snapshot's answer as an ack of every batch before it", async () => {
    const { sm, posted } = proxy();
    await sm.apply([entry()]);
    await sm.apply([entry()]);
    const taken = sm.snapshot();
    const request = posted.at(-1);
    expect(request?.type).toBe("snapshot");
    const seq = (request as { seq: number }).seq;
    sm.answered(seq, { type: "snapshotTaken", seq, index: sm.appliedIndex(), stream: 1 });
    expect((await taken).index).toBe(sm.appliedIndex());
    expect(sm.unackedBatches).toBe(0);
  });

  it("has persist only when main's state machine keeps its state, and asks main for it in order", async () => {
    expect(proxy().sm.persist).toBeUndefined();
    const { sm, posted } = proxy(true);
    await sm.apply([entry()]);
    const persist = sm.persist as () => Promise<number>;
    const durable = persist();
    const request = posted.at(-1);
    expect(request?.type).toBe("persist");
    const seq = (request as { seq: number }).seq;
    sm.answered(seq, { type: "persisted", seq, index: sm.appliedIndex() });
    expect(await durable).toBe(sm.appliedIndex());
    expect(sm.unackedBatches).toBe(0);
  });

  it("stops the node when main fails a batch it already resolved, and refuses every call after", async () => {
    const { sm } = proxy();
    const failures: Error[] = [];
    sm.onFailure((error) => failures.push(error));
    await sm.apply([entry()]);
    const snapshot = sm.snapshot();
    sm.failed({ name: "Error", message: "disk full" });
    expect(failures.map((e) => e.message)).toEqual(["disk full"]);
    await expect(snapshot).rejects.toThrow("disk full");
    await expect(sm.apply([entry()])).rejects.toThrow("disk full");
    // Reported once.
    sm.failed({ name: "Error", message: "again" });
    expect(failures).toHaveLength(1);
  });

  it("fails an apply waiting for room when main fails", async () => {
    const { sm } = proxy();
    sm.onFailure(() => undefined);
    for (let i = 0; i < MAX_UNACKED_BATCHES; i++) await sm.apply([entry()]);
    const over = sm.apply([entry()]);
    sm.failed({ name: "Error", message: "bad entry" });
    await expect(over).rejects.toThrow("bad entry");
  });
});
