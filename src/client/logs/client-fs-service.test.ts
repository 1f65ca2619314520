import { setTimeout as sleep } from "node:timers/promises";
import { Server, ServerCredentials, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError, ValidationError } from "../../common/errors.js";
import { silentLogger } from "../../common/log.js";
import { ClientFsClient } from "../../rpc/client-fs-client.js";
import { RpcError } from "../../rpc/rpc-status.js";
import type { LogFrame, LogRequest } from "../allocrunner/alloc-runner-api.js";
import { addClientFsService, type LogSource } from "./client-fs-service.js";

/** What the fake source saw, per alloc id, so tests can look at the request and its signal. */
const seen = new Map<string, { request: LogRequest; produced: number; finished: boolean }>();

const frame = (file: string, offset: number, text: string): LogFrame => ({
  file,
  offset,
  data: Buffer.from(text),
});

/** The alloc runners of a pretend client: each alloc id picks a behaviour. */
const source: LogSource = (allocId, request) => {
  if (allocId === "missing") throw new NotFoundError(`allocation ${allocId} not found`);
  const state = { request, produced: 0, finished: false };
  seen.set(allocId, state);
  return (async function* () {
    try {
      if (allocId === "lazy-missing") throw new NotFoundError(`task ${request.task} not found`);
      if (allocId === "broken") throw new Error("disk on fire");
      if (allocId === "two") {
        yield frame("web.stdout.1", 5, "hello ");
        yield frame("web.stdout.0", 0, "world");
        return;
      }
      if (allocId === "forever" || allocId === "flood") {
        const big = allocId === "flood" ? "x".repeat(64 * 1024) : "tick";
        for (let i = 0; i < 2000 && !request.signal.aborted; i++) {
          state.produced++;
          yield frame("web.stdout.0", i * big.length, big);
          if (allocId === "forever") await sleep(2);
        }
      }
    } finally {
      state.finished = true;
    }
  })();
};

let server: Server;
let client: ClientFsClient;

beforeAll(async () => {
  server = new Server();
  addClientFsService(server, source, silentLogger());
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    );
  });
  client = new ClientFsClient(`127.0.0.1:${port}`);
});

afterAll(() => {
  client.close();
  server.forceShutdown();
});

const request = { task: "web", type: "stdout", origin: "start", offset: 0, follow: false } as const;

async function collect(frames: AsyncIterable<LogFrame>): Promise<LogFrame[]> {
  const out: LogFrame[] = [];
  for await (const f of frames) out.push(f);
  return out;
}

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !condition(); i++) await sleep(2);
  if (!condition()) throw new Error("condition not reached");
}

describe("ClientFs over loopback gRPC", () => {
  it("streams the source's frames with file, offset and bytes, passing the request through", async () => {
    const frames = await collect(
      client.streamLogs(
        "two",
        { ...request, type: "stderr", origin: "end", offset: 7, follow: true },
        new AbortController().signal,
      ),
    );
    expect(frames.map((f) => [f.file, f.offset, f.data.toString()])).toEqual([
      ["web.stdout.1", 5, "hello "],
      ["web.stdout.0", 0, "world"],
    ]);
    const { request: got } = seen.get("two") ?? expect.unreachable();
    expect({ ...got, signal: undefined }).toEqual({
      task: "web",
      type: "stderr",
      origin: "end",
      offset: 7,
      follow: true,
      signal: undefined,
    });
  });

  it("turns an unknown allocation or task into NotFoundError, whenever the source says so", async () => {
    const signal = new AbortController().signal;
    await expect(collect(client.streamLogs("missing", request, signal))).rejects.toThrow(NotFoundError);
    await expect(collect(client.streamLogs("lazy-missing", request, signal))).rejects.toThrow(
      /task web not found/,
    );
  });

  it("answers bad input with ValidationError naming the field", async () => {
    const signal = new AbortController().signal;
    const bad = [
      { ...request, type: "stdin" as "stdout" },
      { ...request, task: "../../etc" },
      { ...request, origin: "middle" as "start" },
    ];
    for (const req of bad) {
      await expect(collect(client.streamLogs("two", req, signal))).rejects.toThrow(ValidationError);
    }
    await expect(collect(client.streamLogs("", request, signal))).rejects.toThrow(/alloc_id/);
  });

  it("reports a fault in the source as an INTERNAL RpcError", async () => {
    const error = await collect(client.streamLogs("broken", request, new AbortController().signal)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(status.INTERNAL);
  });

  it("aborting the signal ends the iteration quietly and aborts the source on the agent", async () => {
    const controller = new AbortController();
    const frames: LogFrame[] = [];
    const reading = (async () => {
      for await (const f of client.streamLogs("forever", { ...request, follow: true }, controller.signal)) {
        frames.push(f);
        if (frames.length === 3) controller.abort();
      }
    })();
    await reading;
    expect(frames.length).toBeGreaterThanOrEqual(3);
    const state = seen.get("forever") ?? expect.unreachable();
    await waitUntil(() => state.finished);
    expect(state.request.signal.aborted).toBe(true);
  });

  it("leaving the loop early cancels the call on the agent too", async () => {
    for await (const _ of client.streamLogs(
      "forever",
      { ...request, follow: true },
      new AbortController().signal,
    )) {
      break;
    }
    const state = seen.get("forever") ?? expect.unreachable();
    await waitUntil(() => state.finished);
    expect(state.request.signal.aborted).toBe(true);
  });

  it("does not read far ahead of a consumer that stops pulling (backpressure)", async () => {
    const controller = new AbortController();
    const iterator = client.streamLogs("flood", request, controller.signal)[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    const state = seen.get("flood") ?? expect.unreachable();
    // Let the agent write as much as flow control allows, then check it is a bounded amount.
    let last = -1;
    while (state.produced !== last) {
      last = state.produced;
      await sleep(50);
    }
    expect(state.produced).toBeLessThan(500); // 32 MiB; ~32 frames in practice
    await iterator.return?.();
    await waitUntil(() => state.finished);
  });
});
