import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveAgentConfig } from "./agent-config.js";

const dir = mkdtempSync(join(tmpdir(), "drover-agent-config-tls-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("agent config: the tls block and --tls-* flags", () => {
  it("is off by default", async () => {
    const c = await resolveAgentConfig({ dev: true });
    expect(c.tls).toEqual({
      http: false,
      rpc: false,
      caFile: undefined,
      certFile: undefined,
      keyFile: undefined,
      verifyServerHostname: false,
      verifyHttpsClient: false,
    });
  });

  it("reads Nomad's tls block from HCL", async () => {
    const file = join(dir, "tls.hcl");
    writeFileSync(
      file,
      `data_dir = "/tmp/x"\nserver {\n  enabled = true\n}\ntls {\n  http = true\n  rpc = true\n  ca_file = "ca.pem"\n  cert_file = "server.pem"\n  key_file = "server-key.pem"\n  verify_server_hostname = true\n  verify_https_client = true\n}\n`,
    );
    const c = await resolveAgentConfig({ config: file });
    expect(c.tls).toEqual({
      http: true,
      rpc: true,
      caFile: "ca.pem",
      certFile: "server.pem",
      keyFile: "server-key.pem",
      verifyServerHostname: true,
      verifyHttpsClient: true,
    });
  });

  it("reads the tls block from JSON, and flags win over the file", async () => {
    const file = join(dir, "tls.json");
    writeFileSync(
      file,
      JSON.stringify({
        data_dir: "/tmp/x",
        server: { enabled: true },
        tls: { rpc: true, ca_file: "ca.pem", cert_file: "a.pem", key_file: "a-key.pem" },
      }),
    );
    const c = await resolveAgentConfig({ config: file, tlsCertFile: "b.pem", tlsHttp: "true" });
    expect(c.tls).toMatchObject({ rpc: true, http: true, certFile: "b.pem", keyFile: "a-key.pem" });
  });

  it("takes the --tls-* flags alone (bare flags are true)", async () => {
    const c = await resolveAgentConfig({
      dev: true,
      tlsRpc: true,
      tlsCaFile: "ca.pem",
      tlsCertFile: "c.pem",
      tlsKeyFile: "c-key.pem",
      tlsVerifyServerHostname: true,
    });
    expect(c.tls).toMatchObject({ rpc: true, http: false, verifyServerHostname: true });
  });

  it("refuses TLS without its files, a bad boolean, and verify_https_client without http", async () => {
    await expect(resolveAgentConfig({ dev: true, tlsRpc: true, tlsCaFile: "ca.pem" })).rejects.toThrow(
      /cert_file \(--tls-cert-file\) is required/,
    );
    await expect(resolveAgentConfig({ dev: true, tlsRpc: "yes" })).rejects.toThrow(/tls.rpc/);
    await expect(
      resolveAgentConfig({
        dev: true,
        tlsRpc: true,
        tlsCaFile: "ca.pem",
        tlsCertFile: "c.pem",
        tlsKeyFile: "k.pem",
        tlsVerifyHttpsClient: true,
      }),
    ).rejects.toThrow(/verify_https_client needs http = true/);
  });
});
