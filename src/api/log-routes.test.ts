import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogFrame, LogRequest } from "../client/allocrunner/alloc-runner-api.js";
import { addClientFsService } from "../client/logs/client-fs-service.js";
import { readTaskLogs } from "../client/logs/log-reader.js";
import { NotFoundError } from "../common/errors.js";
import { silentLogger } from "../common/log.js";
import type { Allocation, Node } from "../fsm/index.js";
import { CLIENT_RPC_ADDRESS_ATTR } from "../rpc/client-fs-client.js";
import type { ServerApi } from "../rpc/server-api.js";
import { forwardedLogSource } from "./forwarded-logs.js";
import { type Handler, HttpApiServer } from "./http-server.js";
import { addLogRoutes, type LogSource } from "./log-routes.js";
import { Router } from "./router.js";

const frame = (file: string, offset: number, text: string): LogFrame => ({
  file,
  offset,
  data: Buffer.from(text),
});

/** Frames the "flood" source has produced. */
let produced = 0;

/** What the fake source saw, by alloc id. */
const calls = new Map<string, { request: LogRequest; finished: boolean }>();

/** A pretend client's alloc runners; the alloc id picks the behaviour. */
const fakeSource: LogSource = (allocId, request) => {
  if (allocId === "missing") throw new NotFoundError(`allocation ${allocId} not found`);
  const state = { request, finished: false };
  calls.set(allocId, state);
  return (async function* () {
    try {
      if (allocId === "lazy-missing") throw new NotFoundError(`task ${request.task} not found`);
      if (allocId === "hello") {
        yield frame("web.stdout.1", 0, "hello ");
        yield frame("web.stdout.0", 0, "");
        yield frame("web.stdout.0", 0, "world\n");
        return;
      }
      if (allocId === "slow-lines") {
        // A followed task writing a few lines, then ending.
        for (let i = 0; i < 5; i++) {
          await sleep(5);
          yield frame("web.stdout.0", i * 7, `line ${i}\n`);
        }
        return;
      }
      if (allocId === "breaks") {
        yield frame("web.stdout.0", 0, "partial");
        await sleep(5);
        throw new Error("disk on fire");
      }
      if (allocId === "flood") {
        for (let i = 0; i < 5000 && !request.signal.aborted; i++) {
          produced++;
          yield frame("web.stdout.0", i, "x".repeat(64 * 1024));
        }
        return;
      }
      if (allocId === "forever") {
        for (let i = 0; !request.signal.aborted; i++) {
          yield frame("web.stdout.0", i, "tick\n");
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 5);
            request.signal.addEventListener("abort", () => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
      }
    } finally {
      state.finished = true;
    }
  })();
};

interface Started {
  base: string;
  close(): Promise<void>;
}

async function startHttp(source: LogSource, firstFrameWaitMs?: number): Promise<Started> {
  const router = addLogRoutes(
    new Router<Handler>(),
    source,
    firstFrameWaitMs === undefined ? {} : { firstFrameWaitMs },
  );
  const server = new HttpApiServer({ host: "127.0.0.1", port: 0, router, logger: silentLogger() });
  const port = await server.listen();
  return { base: `http://127.0.0.1:${port}`, close: () => server.close() };
}

let http: Started;
beforeAll(async () => {
  http = await startHttp(fakeSource);
});
afterAll(async () => {
  await http.close();
});

/** Nomad's framing is JSON objects back to back; their base64 data holds no braces. */
function parseFrames(body: string): Array<{ File: string; Offset: number; Data: string }> {
  return (body.match(/\{[^}]*\}/g) ?? []).map((text) => JSON.parse(text));
}

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !condition(); i++) await sleep(2);
  if (!condition()) throw new Error("condition not reached");
}

const logs = (alloc: string, query: string): string => `${http.base}/v1/client/fs/logs/${alloc}?${query}`;

describe("GET /v1/client/fs/logs/:alloc", () => {
  it("with plain=true answers the raw bytes as text/plain", async () => {
    const res = await fetch(logs("hello", "task=web&plain=true"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await res.text()).toBe("hello world\n");
    const { request } = calls.get("hello") ?? expect.unreachable();
    expect({ ...request, signal: undefined }).toEqual({
      task: "web",
      type: "stdout",
      origin: "start",
      offset: 0,
      follow: false,
      signal: undefined,
    });
  });

  it("by default answers Nomad's frames: File, Offset past the data, base64 Data", async () => {
    const res = await fetch(logs("hello", "task=web&type=stderr&origin=end&offset=12&follow=false"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const frames = parseFrames(await res.text());
    // The empty frame is not sent.
    expect(frames).toEqual([
      { File: "alloc/logs/web.stdout.1", Offset: 6, Data: Buffer.from("hello ").toString("base64") },
      { File: "alloc/logs/web.stdout.0", Offset: 6, Data: Buffer.from("world\n").toString("base64") },
    ]);
    const { request } = calls.get("hello") ?? expect.unreachable();
    expect([request.type, request.origin, request.offset, request.follow]).toEqual([
      "stderr",
      "end",
      12,
      false,
    ]);
  });

  it("streams a follow as it comes and ends when the source ends", async () => {
    const res = await fetch(logs("slow-lines", "task=web&follow=true&plain=true"));
    expect(await res.text()).toBe("line 0\nline 1\nline 2\nline 3\nline 4\n");
    expect(calls.get("slow-lines")?.request.follow).toBe(true);
  });

  it("sends the headers before the first frame when the source is quiet", async () => {
    const quiet = await startHttp(fakeSource, 0);
    try {
      const res = await fetch(`${quiet.base}/v1/client/fs/logs/slow-lines?task=web&plain`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("line 0\nline 1\nline 2\nline 3\nline 4\n");
    } finally {
      await quiet.close();
    }
  });

  it.each([
    ["plain=true", "?task", "task name is required"],
    ["task=", "?task", "task name is required"],
    ["task=..%2Fetc", "?task", "not a valid path component"],
    ["task=web&type=stdin", "?type", "stdout"],
    ["task=web&offset=-1", "?offset", "non-negative integer"],
    ["task=web&offset=ten", "?offset", "non-negative integer"],
    ["task=web&offset=99999999999999999999", "?offset", "integer"],
    ["task=web&origin=middle", "?origin", "start"],
    ["task=web&follow=maybe", "?follow", "true or false"],
    ["task=web&plain=yes", "?plain", "true or false"],
  ])("400 for %s, naming %s", async (query, where, what) => {
    const res = await fetch(logs("hello", query));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string };
    expect(body.error).toContain(where);
    expect(body.error).toContain(what);
  });

  it("404 for an unknown allocation or task, whether the source throws at once or on reading", async () => {
    for (const alloc of ["missing", "lazy-missing"]) {
      const res = await fetch(logs(alloc, "task=web"));
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: string }).error).toMatch(/not found/);
    }
    expect(calls.get("lazy-missing")?.request.signal.aborted).toBe(true);
  });

  it("cuts the body short when the source fails mid-stream, and stops the source", async () => {
    const res = await fetch(logs("breaks", "task=web&plain=true"));
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect(calls.get("breaks")?.request.signal.aborted).toBe(true);
  });

  it("produces no faster than a slow HTTP client reads (backpressure), and stops when it leaves", async () => {
    produced = 0;
    const req = get(logs("flood", "task=web&plain=true"), (res) => {
      res.pause(); // read nothing
    });
    req.on("error", () => undefined);
    await waitUntil(() => produced > 0);
    let last = -1;
    while (produced !== last) {
      last = produced;
      await sleep(50);
    }
    expect(produced).toBeLessThan(1000); // 64 MiB; a few frames of socket buffers in practice
    req.destroy();
    const state = calls.get("flood") ?? expect.unreachable();
    await waitUntil(() => state.finished);
  });

  it("stops the source when the HTTP client disconnects", async () => {
    calls.delete("forever");
    await new Promise<void>((resolve, reject) => {
      const req = get(logs("forever", "task=web&follow=true&plain=true"), (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", (error) => {
        if (!req.destroyed) reject(error);
      });
    });
    const state = calls.get("forever") ?? expect.unreachable();
    await waitUntil(() => state.finished);
    expect(state.request.signal.aborted).toBe(true);
  });
});

describe("log routes over real sources", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "drover-log-routes-"));
    writeFileSync(join(dir, "web.stdout.1"), "old\n");
    writeFileSync(join(dir, "web.stdout.0"), "new\n");
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** What a client agent does: the alloc's log dir read by readTaskLogs. */
  const localSource: LogSource = (allocId, request) => {
    if (allocId !== "a1") throw new NotFoundError(`allocation ${allocId} not found`);
    return readTaskLogs({ logDir: dir, ...request, taskDone: Promise.resolve() });
  };

  it("a client agent serves its files", async () => {
    const local = await startHttp(localSource);
    try {
      const res = await fetch(`${local.base}/v1/client/fs/logs/a1?task=web&plain=true&follow=true`);
      expect(await res.text()).toBe("old\nnew\n");
      const framed = parseFrames(await (await fetch(`${local.base}/v1/client/fs/logs/a1?task=web`)).text());
      expect(framed.map((f) => [f.File, f.Offset])).toEqual([
        ["alloc/logs/web.stdout.1", 4],
        ["alloc/logs/web.stdout.0", 4],
      ]);
    } finally {
      await local.close();
    }
  });

  it("a server forwards to the client agent found through the alloc's node", async () => {
    const grpc = new Server();
    addClientFsService(grpc, localSource, silentLogger());
    const port = await new Promise<number>((resolve, reject) => {
      grpc.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
        error === null ? resolve(bound) : reject(error),
      );
    });
    const nodes: Record<string, Partial<Node>> = {
      n1: { ID: "n1", Attributes: { [CLIENT_RPC_ADDRESS_ATTR]: `127.0.0.1:${port}` } },
      n2: { ID: "n2", Attributes: {} },
    };
    const allocs: Record<string, Partial<Allocation>> = {
      a1: { ID: "a1", NodeID: "n1" },
      a2: { ID: "a2", NodeID: "n2" },
      a3: { ID: "a3", NodeID: "gone" },
    };
    const meta = { index: 1, knownLeader: true, lastContactMs: 0 };
    const api = {
      allocGet: async (id: string) => ({ value: allocs[id] as Allocation | undefined, meta }),
      nodeGet: async (id: string) => ({ value: nodes[id] as Node | undefined, meta }),
    } as unknown as ServerApi;
    const source = forwardedLogSource(api);
    const server = await startHttp(source);
    try {
      const res = await fetch(`${server.base}/v1/client/fs/logs/a1?task=web&plain=true`);
      expect(await res.text()).toBe("old\nnew\n");
      const cases: Array<[string, number, RegExp]> = [
        ["a1?task=..", 400, /\?task/],
        ["a1?task=web&type=stdin", 400, /\?type/],
        ["nope?task=web", 404, /allocation nope not found/],
        ["a3?task=web", 404, /node gone of allocation a3 not found/],
        ["a2?task=web", 502, /unique\.drover\.rpc_address/],
      ];
      for (const [path, status, message] of cases) {
        const answer = await fetch(`${server.base}/v1/client/fs/logs/${path}`);
        expect(answer.status, path).toBe(status);
        expect(((await answer.json()) as { error: string }).error, path).toMatch(message);
      }
      // The client agent goes away: a 502 that names it.
      grpc.forceShutdown();
      const down = await fetch(`${server.base}/v1/client/fs/logs/a1?task=web`);
      expect(down.status).toBe(502);
      expect(((await down.json()) as { error: string }).error).toMatch(/node n1 at 127\.0\.0\.1/);
    } finally {
      source.close();
      await server.close();
      grpc.forceShutdown();
    }
  });
});
