import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeTarget } from "./request-target.js";

type Read = { pathname: string; query: string } | "invalid";

function viaUrl(raw: string): Read {
  if (!URL.canParse(raw, "http://localhost")) return "invalid";
  const url = new URL(raw, "http://localhost");
  return { pathname: url.pathname, query: [...url.searchParams].map(([k, v]) => `${k}=${v}`).join("&") };
}

function viaNormalize(raw: string): Read {
  let target: string;
  try {
    target = normalizeTarget(raw);
  } catch {
    return "invalid"; // as URL does: http-server answers it like any other bad request
  }
  const q = target.indexOf("?");
  const query = new URLSearchParams(q < 0 ? "" : target.slice(q));
  return {
    pathname: q < 0 ? target : target.slice(0, q),
    query: [...query].map(([k, v]) => `${k}=${v}`).join("&"),
  };
}

describe("normalizeTarget", () => {
  it.each([
    "/v1/var/bench/17",
    "/v1/var/bench/17?cas=0",
    "/v1/jobs?prefix=web&stale",
    "/",
    "/v1/var/a/../b",
    "/v1/var/a%2Fb?x=%20y+z",
    "//v1/jobs",
    "/v1/job/x#frag?y=1",
    "/v1/job/x?y=1#frag",
    "/v1\\job",
  ])("reads %s as URL does", (raw) => {
    expect(viaNormalize(raw)).toEqual(viaUrl(raw));
  });

  it("returns a plain target as it is", () => {
    const raw = "/v1/var/bench/17?cas=0";
    expect(normalizeTarget(raw)).toBe(raw);
  });

  it("agrees with URL on any request target built from path and query characters", () => {
    const chars = fc.constantFrom(..."/aZ09_-.%2e?&=+#\\ :@~'\t".split(""));
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 24 }), (parts) => {
        const raw = `/${parts.join("")}`;
        expect(viaNormalize(raw)).toEqual(viaUrl(raw));
      }),
      { numRuns: 2000 },
    );
  });
});
