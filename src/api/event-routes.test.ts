import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_EVENT_TOPICS_PER_STREAM } from "../common/limits.js";
import { silentLogger } from "../common/log.js";
import { EventBroker } from "../server/events/event-broker.js";
import { addEventRoutes } from "./event-routes.js";
import { type Handler, HttpApiServer } from "./http-server.js";
import { Router } from "./router.js";

let server: HttpApiServer;
let base: string;

beforeAll(async () => {
  const router = addEventRoutes(new Router<Handler>(), new EventBroker(), { maxStreams: 2 });
  server = new HttpApiServer({ host: "127.0.0.1", port: 0, router, logger: silentLogger() });
  base = `http://127.0.0.1:${await server.listen()}`;
});

afterAll(async () => {
  await server.close();
});

/** Opens a stream and resolves with its status once the headers are in; `close()` hangs up. */
function openStream(): Promise<{ status: number; close: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/v1/event/stream`, (res) => {
      resolve({
        status: res.statusCode ?? 0,
        close: () =>
          new Promise<void>((done) => {
            res.once("close", () => done());
            req.destroy();
          }),
      });
    });
    req.on("error", reject);
    req.end();
  });
}

describe("GET /v1/event/stream limits", () => {
  it("answers 429 beyond the agent's stream limit, and takes new streams once one closes", async () => {
    const first = await openStream();
    const second = await openStream();
    expect([first.status, second.status]).toEqual([200, 200]);
    const refused = await fetch(`${base}/v1/event/stream`);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: string }).error).toMatch(/too many event streams/);
    await first.close();
    // The slot is given back when the server sees the hang-up; wait on that condition, not a timer.
    let again = await openStream();
    for (let tries = 0; again.status === 429 && tries < 100; tries++) {
      await again.close();
      again = await openStream();
    }
    expect(again.status).toBe(200);
    await again.close();
    await second.close();
  });

  it("refuses more topic filters than allowed, naming ?topic", async () => {
    const topics = Array.from({ length: MAX_EVENT_TOPICS_PER_STREAM + 1 }, (_, i) => `topic=Job:j${i}`);
    const res = await fetch(`${base}/v1/event/stream?${topics.join("&")}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^\?topic: /);
  });
});
