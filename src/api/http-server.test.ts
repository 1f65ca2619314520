import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConflictError,
  NotFoundError,
  NotLeaderError,
  TimeoutError,
  ValidationError,
} from "../common/errors.js";
import { silentLogger } from "../common/log.js";
import { HttpError } from "./http-error.js";
import { type Handler, HttpApiServer } from "./http-server.js";
import { Router } from "./router.js";

/** Each route throws one error; the test reads the status and body the server answers. */
const THROWS: Record<string, () => Error> = {
  validation: () => new ValidationError("Count must be a number", "Job"),
  "not-found": () => new NotFoundError("job j not found"),
  conflict: () => new ConflictError("job j: enforce index 0 does not match the current JobModifyIndex 7"),
  "not-leader": () => new NotLeaderError(undefined),
  timeout: () => new TimeoutError("no leader answered within 5000 ms"),
  fault: () => new Error("disk on fire"),
  chosen: () => new HttpError(409, "cas conflict", { Path: "a" }),
};

describe("http server error answers", () => {
  let server: HttpApiServer;
  let base: string;
  beforeAll(async () => {
    const router = new Router<Handler>();
    for (const [name, make] of Object.entries(THROWS)) {
      router.add("GET", `/v1/throw/${name}`, async () => {
        throw make();
      });
    }
    server = new HttpApiServer({ host: "127.0.0.1", port: 0, router, logger: silentLogger() });
    base = `http://127.0.0.1:${await server.listen()}`;
  });
  afterAll(() => server.close());

  const answer = async (name: string): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${base}/v1/throw/${name}`);
    return { status: res.status, body: await res.json() };
  };

  it.each([
    ["validation", 400, { error: "Job: Count must be a number" }],
    ["not-found", 404, { error: "job j not found" }],
    ["conflict", 409, { error: "job j: enforce index 0 does not match the current JobModifyIndex 7" }],
    ["not-leader", 503, { error: "no cluster leader: no known leader" }],
    ["timeout", 503, { error: "no cluster leader: no leader answered within 5000 ms" }],
    ["chosen", 409, { Path: "a" }],
  ])("answers %s with %i", async (name, status, body) => {
    expect(await answer(name)).toEqual({ status, body });
  });

  it("answers a fault with 500 and a request id, not its message", async () => {
    const { status, body } = await answer("fault");
    expect(status).toBe(500);
    expect(JSON.stringify(body)).toMatch(/internal error \(request id [0-9a-f-]{36}\)/);
  });
});
