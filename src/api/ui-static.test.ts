import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../common/log.js";
import { type Handler, HttpApiServer } from "./http-server.js";
import { Router } from "./router.js";
import { acceptsGzip, UiFiles } from "./ui-static.js";

describe("the web UI's static files", () => {
  let dir: string;
  let server: HttpApiServer;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "drover-ui-"));
    mkdirSync(join(dir, "assets"));
    writeFileSync(join(dir, "index.html"), "<!doctype html><title>Drover</title>");
    writeFileSync(join(dir, "assets", "index-abc123.js"), "console.log('ui');");
    const router = new Router<Handler>();
    router.add("GET", "/v1/status/leader", async () => ({ body: "x" }));
    server = new HttpApiServer({
      host: "127.0.0.1",
      port: 0,
      router,
      logger: silentLogger(),
      ui: UiFiles.load(dir),
    });
    base = `http://127.0.0.1:${await server.listen()}`;
  });

  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("redirects / to /ui/", async () => {
    const res = await fetch(`${base}/`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/ui/");
  });

  it("answers index.html, uncached, for /ui/ and every client-side route", async () => {
    for (const path of ["/ui", "/ui/", "/ui/jobs", "/ui/jobs/web/allocations?x=1"]) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(await res.text()).toContain("<title>Drover</title>");
    }
  });

  it("answers hashed assets with a year's cache, gzipped when the client accepts it", async () => {
    const res = await fetch(`${base}/ui/assets/index-abc123.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await res.text()).toBe("console.log('ui');"); // fetch decodes gzip itself
    const raw = await fetch(`${base}/ui/assets/index-abc123.js`, { headers: { "accept-encoding": "gzip" } });
    expect(raw.headers.get("content-encoding")).toBe("gzip");
    const plain = await fetch(`${base}/ui/assets/index-abc123.js`, {
      headers: { "accept-encoding": "identity" },
    });
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(await plain.text()).toBe("console.log('ui');");
  });

  it("answers 404 JSON for a missing asset, and the API is unchanged", async () => {
    const res = await fetch(`${base}/ui/assets/gone-000.js`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "no such file /ui/assets/gone-000.js" });
    expect(await (await fetch(`${base}/v1/status/leader`)).json()).toBe("x");
  });

  it("says the UI is not built when dist/ui is missing", async () => {
    const empty = UiFiles.load(join(dir, "nope"));
    expect(empty.built).toBe(false);
    expect(empty.lookup("")).toBeUndefined();
  });

  it("reads Accept-Encoding", () => {
    expect(acceptsGzip("gzip, deflate, br")).toBe(true);
    expect(acceptsGzip("br;q=1, gzip;q=0")).toBe(false);
    expect(acceptsGzip("identity")).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
    expect(gunzipSync(UiFiles.load(dir).lookup("x")?.gzipped ?? Buffer.alloc(0)).toString()).toContain(
      "Drover",
    );
  });
});
