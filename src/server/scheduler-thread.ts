/**
 * The body of a scheduler worker thread (ThreadSchedulerRunner): a replica of the state store,
 * fed the state at start and then every applied command a scheduler reads (variables are not
 * posted: REPLICA_SKIPPED_COMMANDS), in order, by the agent's thread; it
 * answers schedule requests against its own snapshot, so scheduling CPU never blocks the agent's
 * event loop (Raft heartbeats, RPCs).
 *
 * Messages in (in this order on the port): init, apply*, schedule*; a later init replaces the
 * whole replica (the agent's state was restored from a Raft snapshot, or drift was detected).
 */
import { parentPort } from "node:worker_threads";
import { tablesFromSnapshot } from "../fsm/snapshot-stream.js";
import { StateStore } from "../fsm/state-store.js";
import { schedule } from "../scheduler/index.js";
import type { ThreadRequest, ThreadResponse } from "./scheduler-thread-protocol.js";
import { replicaFingerprint } from "./scheduler-thread-protocol.js";

const port = parentPort;
if (port === null) throw new Error("scheduler-thread must run in a worker thread");

let store: StateStore | undefined;
/** Requests are handled strictly in arrival order (init is async). */
let chain: Promise<void> = Promise.resolve();

function post(message: ThreadResponse): void {
  port?.postMessage(message);
}

async function handle(message: ThreadRequest): Promise<void> {
  switch (message.type) {
    case "init": {
      const received = message.chunks;
      async function* chunks(): AsyncGenerator<Uint8Array> {
        yield* received;
      }
      store = new StateStore(await tablesFromSnapshot(chunks()));
      return;
    }
    case "apply": {
      if (store === undefined) return;
      for (const entry of message.entries) {
        // Entries an init already covered are skipped; skipped commands (variables) left gaps.
        if (entry.index > store.index) store.applyEntry(entry.index, entry.data);
      }
      return;
    }
    case "schedule": {
      try {
        if (store === undefined) throw new Error("scheduler thread: no state yet");
        // Every command up to mainIndex was posted before this request; the rest were no-ops.
        if (store.index < message.mainIndex) store.advance(message.mainIndex);
        const reader = store.snapshot();
        if (replicaFingerprint(reader) !== message.fingerprint) {
          post({ type: "drift", id: message.id });
          return;
        }
        const result = schedule(reader, message.evaluation, message.options);
        post({ type: "result", id: message.id, result, snapshotIndex: reader.index });
      } catch (error) {
        post({
          type: "error",
          id: message.id,
          message: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
      }
      return;
    }
  }
}

port.on("message", (message: ThreadRequest) => {
  chain = chain.then(() => handle(message));
});
