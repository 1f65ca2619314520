import { describe, expect, it } from "vitest";
import { defaultAgentConfig } from "./agent-config.js";
import { exposureWarnings, isLoopback } from "./exposure.js";

describe("exposure warnings", () => {
  it("knows loopback addresses", () => {
    for (const a of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) expect(isLoopback(a), a).toBe(true);
    for (const a of ["0.0.0.0", "::", "10.0.0.1", "192.168.1.5", "example.com"])
      expect(isLoopback(a), a).toBe(false);
  });

  it("says nothing for a loopback agent, whatever its settings", () => {
    const c = { ...defaultAgentConfig(), bind: "127.0.0.1", client: true, driverEnable: ["raw_exec"] };
    expect(exposureWarnings(c)).toEqual([]);
  });

  it("warns about plaintext, missing ACLs and raw_exec beyond loopback", () => {
    const c = { ...defaultAgentConfig(), bind: "0.0.0.0", client: true, driverEnable: ["raw_exec"] };
    const w = exposureWarnings(c);
    expect(w).toHaveLength(3);
    expect(w[0]).toMatch(/RPC \(gRPC\) and HTTP in plaintext/);
    expect(w[1]).toMatch(/ACLs disabled/);
    expect(w[2]).toMatch(/raw_exec/);
  });

  it("is quiet beyond loopback once TLS and ACLs are on", () => {
    const base = defaultAgentConfig();
    const c = {
      ...base,
      bind: "10.0.0.1",
      tls: { ...base.tls, http: true, rpc: true },
      acl: { ...base.acl, enabled: true },
    };
    expect(exposureWarnings(c)).toEqual([]);
    expect(exposureWarnings({ ...c, tls: { ...c.tls, http: false } })).toEqual([
      expect.stringMatching(/with HTTP in plaintext/),
    ]);
  });
});
