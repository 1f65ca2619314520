import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../common/log.js";
import { type ApiRequest, type Handler, HttpApiServer } from "./http-server.js";
import { JOB_REGISTER, VAR_PUT } from "./request-schemas.js";
import { Router } from "./router.js";

/** One request as sent on the wire (node:http keeps the path and headers exactly as given). */
interface Sent {
  method: string;
  path: string;
  body?: Buffer | string;
  headers?: Record<string, string>;
  /** Chunked: no Content-Length for the server to check up front. */
  chunked?: boolean;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

function send(base: URL, sent: Sent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...sent.headers };
    if (sent.body !== undefined && sent.chunked !== true)
      headers["Content-Length"] = Buffer.byteLength(sent.body);
    const req = request(
      { host: base.hostname, port: base.port, method: sent.method, path: sent.path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = text === "" ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on("error", reject);
    if (sent.chunked === true && sent.body !== undefined) {
      const bytes = Buffer.from(sent.body);
      for (let at = 0; at < bytes.length; at += 16 * 1024) req.write(bytes.subarray(at, at + 16 * 1024));
      req.end();
    } else req.end(sent.body);
  });
}

/** Echoes what the handler was given, so that tests can see params, query and body as parsed. */
const echo: Handler = async (req: ApiRequest) => ({
  body: {
    method: req.method,
    path: req.path,
    params: req.params,
    query: [...req.query],
    body: Buffer.isBuffer(req.body)
      ? { bytes: req.body.length }
      : req.body === undefined
        ? "<undefined>"
        : req.body,
  },
});

/** The producer of the "forever" stream: how many chunks it made, and whether it was stopped. */
const producer = { made: 0, stopped: false };

async function* forever(): AsyncGenerator<string> {
  try {
    for (;;) {
      producer.made++;
      yield `${"x".repeat(64 * 1024)}\n`;
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    producer.stopped = true;
  }
}

const JSON_LIMIT = 1024;
const RAW_LIMIT = 4096;

describe("the HTTP layer", () => {
  let server: HttpApiServer;
  let base: URL;
  const at = (sent: Sent) => send(base, sent);

  beforeAll(async () => {
    const router = new Router<Handler>()
      .add("GET", "/v1/jobs", echo)
      .add("POST", "/v1/jobs", echo, JOB_REGISTER)
      .add("GET", "/v1/job/:id", echo)
      .add("PUT", "/v1/var/:path*", echo, VAR_PUT)
      .add("GET", "/v1/var/:path*", echo)
      .add("PUT", "/v1/raw", echo)
      .add("PUT", "/v1/optional", echo, {
        body: { type: ["object", "null"], properties: { A: { type: "integer" } } },
      })
      .add("GET", "/v1/text", async () => ({
        text: "plain\n",
        meta: { index: 7, knownLeader: true, lastContactMs: 0 },
      }))
      .add("GET", "/v1/string", async () => ({ body: "127.0.0.1:4647" }))
      .add("GET", "/v1/stream", async () => ({ stream: forever(), contentType: "application/x-ndjson" }));
    server = new HttpApiServer({
      host: "127.0.0.1",
      port: 0,
      router,
      logger: silentLogger(),
      maxBodyBytes: JSON_LIMIT,
      maxRawBodyBytes: RAW_LIMIT,
    });
    base = new URL(`http://127.0.0.1:${await server.listen()}`);
  });
  afterAll(() => server.close());

  describe("routing", () => {
    it("decodes params; a rest parameter takes the rest of the path, slashes and all", async () => {
      expect((await at({ method: "GET", path: "/v1/job/web%20app" })).json).toMatchObject({
        params: { id: "web app" },
      });
      expect((await at({ method: "GET", path: "/v1/var/app/db/password" })).json).toMatchObject({
        params: { path: "app/db/password" },
        path: "/v1/var/app/db/password",
      });
      expect((await at({ method: "GET", path: "/v1/var/a%2Fb" })).json).toMatchObject({
        params: { path: "a/b" },
      });
    });

    it("ignores trailing and doubled slashes, and resolves dot segments as URL does", async () => {
      expect((await at({ method: "GET", path: "/v1/jobs/" })).status).toBe(200);
      expect((await at({ method: "GET", path: "/v1/var/a/b/" })).json).toMatchObject({
        params: { path: "a/b" },
      });
      expect((await at({ method: "GET", path: "/v1/var/a//b" })).json).toMatchObject({
        params: { path: "a/b" },
      });
      expect((await at({ method: "GET", path: "/v1/var/a/../b" })).json).toMatchObject({
        params: { path: "b" },
      });
    });

    it("tells an unknown path (404) from a known path with another method (405), in JSON", async () => {
      const unknown = await at({ method: "GET", path: "/v1/nope" });
      expect(unknown).toMatchObject({ status: 404, json: { error: "no such path /v1/nope" } });
      expect(unknown.headers["content-type"]).toBe("application/json; charset=utf-8");
      expect(await at({ method: "DELETE", path: "/v1/jobs" })).toMatchObject({
        status: 405,
        json: { error: "method DELETE not allowed on /v1/jobs" },
      });
      expect((await at({ method: "PATCH", path: "/v1/var/a" })).status).toBe(405);
      // A rest parameter takes at least one segment.
      expect((await at({ method: "PUT", path: "/v1/var/", body: "{}" })).status).toBe(404);
      expect((await at({ method: "PUT", path: "/v1/var", body: "{}" })).status).toBe(404);
    });

    it("refuses a malformed percent escape in the path with 400, not a fault", async () => {
      for (const path of ["/v1/var/%ff", "/v1/job/%E0%A4%A", "/v1/job/%"]) {
        const answer = await at({ method: "GET", path });
        expect(answer.status, path).toBe(400);
        expect((answer.json as { error: string }).error).toMatch(/malformed percent-encoding/);
      }
    });

    it("answers HEAD on a GET route with its headers and no body", async () => {
      const head = await at({ method: "HEAD", path: "/v1/text" });
      expect(head.status).toBe(200);
      expect(head.text).toBe("");
      expect(head.headers["x-nomad-index"]).toBe("7");
      expect((await at({ method: "HEAD", path: "/v1/var/a" })).status).toBe(200);
      expect((await at({ method: "HEAD", path: "/v1/raw" })).status).toBe(405);
    });
  });

  describe("bodies", () => {
    it("parses any Content-Type as JSON, or none at all", async () => {
      for (const headers of [
        {},
        { "Content-Type": "application/json" },
        { "Content-Type": "text/plain; charset=utf-8" },
        { "Content-Type": "application/x-www-form-urlencoded" },
      ]) {
        const answer = await at({ method: "PUT", path: "/v1/var/a", body: '{"Items":{"k":"v"}}', headers });
        expect(answer.json, JSON.stringify(headers)).toMatchObject({ body: { Items: { k: "v" } } });
      }
    });

    it("refuses a Content-Type that is not a media type at all with 415", async () => {
      const answer = await at({
        method: "PUT",
        path: "/v1/raw",
        body: "{}",
        headers: { "Content-Type": "json" },
      });
      expect(answer).toMatchObject({
        status: 415,
        json: { error: 'Content-Type "json" is not a media type; send JSON' },
      });
    });

    it("keeps application/octet-stream as raw bytes", async () => {
      const answer = await at({
        method: "PUT",
        path: "/v1/raw",
        body: Buffer.from([0, 1, 2, 255]),
        headers: { "Content-Type": "application/octet-stream; charset=binary" },
      });
      expect(answer.json).toMatchObject({ body: { bytes: 4 } });
    });

    it("hands an empty body on as undefined, and refuses bad JSON with a 400 that says so", async () => {
      expect((await at({ method: "PUT", path: "/v1/raw" })).json).toMatchObject({ body: "<undefined>" });
      expect((await at({ method: "PUT", path: "/v1/raw", body: "  \n" })).json).toMatchObject({
        body: "<undefined>",
      });
      const bad = await at({ method: "PUT", path: "/v1/raw", body: '{"Job":' });
      expect(bad.status).toBe(400);
      expect((bad.json as { error: string }).error).toMatch(/^request body: body is not valid JSON/);
    });

    it("refuses a JSON body nested deeper than the limit with 400, naming the body", async () => {
      const deep = `${"[".repeat(200)}${"]".repeat(200)}`;
      const bad = await at({ method: "PUT", path: "/v1/raw", body: deep });
      expect(bad.status).toBe(400);
      expect((bad.json as { error: string }).error).toMatch(/^request body: nested deeper than 128 levels/);
      const fine = await at({ method: "PUT", path: "/v1/raw", body: `${"[".repeat(100)}${"]".repeat(100)}` });
      expect(fine.status).toBe(200);
    });

    it("refuses a JSON body over its limit with 413, declared or streamed", async () => {
      // Far past the limit and past what socket buffers hold: the client is still sending when
      // the 413 is written, and must read it rather than a reset connection.
      const big = " ".repeat(4 * 1024 * 1024);
      for (const chunked of [false, true]) {
        const answer = await at({ method: "PUT", path: "/v1/raw", body: big, chunked });
        expect(answer.status, `chunked ${chunked}`).toBe(413);
        expect(answer.json).toEqual({ error: `request body exceeds ${JSON_LIMIT} bytes` });
      }
    });

    it("allows raw bodies up to their own, larger limit, and refuses past it with 413", async () => {
      const headers = { "Content-Type": "application/octet-stream" };
      const fits = await at({ method: "PUT", path: "/v1/raw", body: Buffer.alloc(RAW_LIMIT), headers });
      expect(fits.json).toMatchObject({ body: { bytes: RAW_LIMIT } });
      for (const chunked of [false, true]) {
        const answer = await at({
          method: "PUT",
          path: "/v1/raw",
          body: Buffer.alloc(4 * 1024 * 1024),
          headers,
          chunked,
        });
        expect(answer.status, `chunked ${chunked}`).toBe(413);
        expect(answer.json).toEqual({ error: `request body exceeds ${RAW_LIMIT} bytes` });
      }
    });
  });

  describe("schemas", () => {
    const register = (body: unknown) => at({ method: "POST", path: "/v1/jobs", body: JSON.stringify(body) });

    it("refuses a body of the wrong shape with a 400 that says what and where", async () => {
      const count = await register({ Job: { ID: "web", TaskGroups: [{ Name: "g", Count: "three" }] } });
      expect(count).toMatchObject({
        status: 400,
        json: { error: "body.Job.TaskGroups[0].Count must be an integer (or null)" },
      });
      expect(await register({ Jobb: {} })).toMatchObject({
        status: 400,
        json: { error: "body.Job is required" },
      });
      expect(await register([1])).toMatchObject({
        status: 400,
        json: { error: "body must be a JSON object" },
      });
      const items = await at({ method: "PUT", path: "/v1/var/a", body: '{"Items":{"db pass":1}}' });
      expect(items).toMatchObject({ status: 400, json: { error: 'body.Items["db pass"] must be a string' } });
    });

    it("ignores unknown fields and changes nothing it accepts (no coercion, nothing removed)", async () => {
      const body = {
        Job: {
          ID: "web",
          Priority: 50,
          FromTheFuture: { x: 1 },
          TaskGroups: [{ Name: "g", Count: 2, New: true }],
        },
        Unknown: "kept",
      };
      expect(await register(body)).toMatchObject({ status: 200, json: { body } });
      // "1" is not an integer, even though Ajv could coerce it into one.
      expect((await register({ Job: { ID: "web", Priority: "1" } })).status).toBe(400);
      // Nomad's Go client sends nil pointers as null.
      expect((await register({ Job: { ID: "web", Priority: null, TaskGroups: null } })).status).toBe(200);
    });

    it("checks the common query parameters, whose values stay strings", async () => {
      expect(await at({ method: "GET", path: "/v1/jobs?index=abc" })).toMatchObject({
        status: 400,
        json: { error: "?index must be a non-negative integer" },
      });
      expect(await at({ method: "GET", path: "/v1/jobs?index=1&wait=soon" })).toMatchObject({
        status: 400,
        json: { error: '?wait must be a duration such as "10s" or "1m30s"' },
      });
      expect((await at({ method: "PUT", path: "/v1/var/a?cas=-1", body: '{"Items":{}}' })).status).toBe(400);
      const ok = await at({ method: "GET", path: "/v1/jobs?index=12&wait=1m30s&stale&prefix=we&x=y&x=z" });
      expect(ok.json).toMatchObject({
        query: [
          ["index", "12"],
          ["wait", "1m30s"],
          ["stale", ""],
          ["prefix", "we"],
          ["x", "y"],
          ["x", "z"],
        ],
      });
    });

    it("makes the body optional when its schema admits null", async () => {
      expect((await at({ method: "PUT", path: "/v1/optional" })).json).toMatchObject({ body: null });
      expect((await at({ method: "PUT", path: "/v1/optional", body: '{"A":1}' })).status).toBe(200);
      expect(await at({ method: "PUT", path: "/v1/optional", body: '{"A":1.5}' })).toMatchObject({
        status: 400,
        json: { error: "body.A must be an integer" },
      });
    });
  });

  describe("replies", () => {
    it("serializes every JSON answer, a bare string too, and sends text as it is", async () => {
      const str = await at({ method: "GET", path: "/v1/string" });
      expect(str.text).toBe('"127.0.0.1:4647"');
      expect(str.headers["content-type"]).toBe("application/json; charset=utf-8");
      const text = await at({ method: "GET", path: "/v1/text" });
      expect(text.text).toBe("plain\n");
      expect(text.headers["content-type"]).toBe("text/plain; charset=utf-8");
      expect(text.headers["x-nomad-knownleader"]).toBe("true");
    });

    it("streams chunked, unbuffered, and stops the producer when the client disconnects", async () => {
      producer.made = 0;
      producer.stopped = false;
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: base.hostname, port: base.port, path: "/v1/stream" }, (res) => {
          expect(res.headers["transfer-encoding"]).toBe("chunked");
          expect(res.headers["x-accel-buffering"]).toBe("no");
          expect(res.headers["content-type"]).toBe("application/x-ndjson");
          res.once("data", () => {
            // The client reads one chunk, then goes away.
            req.destroy();
            resolve();
          });
        });
        req.on("error", (error) => {
          if (!req.destroyed) reject(error);
        });
        req.end();
      });
      await expect.poll(() => producer.stopped, { timeout: 10_000 }).toBe(true);
      const made = producer.made;
      // Backpressure: the producer did not run ahead of a client that stopped reading.
      expect(made).toBeLessThan(1000);
    });
  });
});

describe("an HTTP server bound before its routes are known", () => {
  it("answers 503 until it serves, then its routes; no route can be added afterwards", async () => {
    const router = new Router<Handler>();
    const server = new HttpApiServer({ host: "127.0.0.1", port: 0, router, logger: silentLogger() });
    try {
      const base = new URL(`http://127.0.0.1:${await server.bind()}`);
      router.add("GET", "/v1/late", async () => ({ body: "here" }));
      const early = await send(base, { method: "GET", path: "/v1/late" });
      expect(early.status).toBe(503);
      expect((early.json as { error: string }).error).toMatch(/starting/);
      await server.serve();
      expect((await send(base, { method: "GET", path: "/v1/late" })).json).toBe("here");
      expect(() => router.add("GET", "/v1/later", async () => ({}))).toThrow(/after the HTTP server started/);
    } finally {
      await server.close();
    }
  });
});
