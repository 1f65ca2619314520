import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AgentTls, certificateDnsNames, TLS_DISABLED } from "../common/tls.js";
import { createCa, createCert } from "./tls-certs.js";
import { certFileNames } from "./tls-files.js";

const dir = mkdtempSync(join(tmpdir(), "drover-tls-certs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("drover tls: CA and certificates", () => {
  const ca = createCa();

  it("creates a self-signed CA that may sign certificates", () => {
    const cert = new X509Certificate(ca.cert);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe(cert.issuer);
    expect(cert.verify(cert.publicKey)).toBe(true);
  });

  it("signs a server certificate for server.<region>.drover, localhost and 127.0.0.1", () => {
    const pair = createCert(ca, { role: "server", region: "eu", additionalDnsNames: ["s1.example"] });
    const cert = new X509Certificate(pair.cert);
    expect(cert.checkIssued(new X509Certificate(ca.cert))).toBe(true);
    expect(cert.verify(new X509Certificate(ca.cert).publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe(
      "DNS:server.eu.drover, DNS:localhost, DNS:s1.example, IP Address:127.0.0.1",
    );
    expect(cert.checkHost("server.eu.drover")).toBe("server.eu.drover");
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(cert.keyUsage).toEqual(expect.arrayContaining(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]));
  });

  it("gives the CLI a client-authentication-only certificate with extra addresses", () => {
    const pair = createCert(ca, { role: "cli", additionalIpAddresses: ["10.1.2.3", "::1"] });
    const cert = new X509Certificate(pair.cert);
    expect(cert.subjectAltName).toContain("DNS:cli.global.drover");
    expect(cert.subjectAltName).toContain("IP Address:10.1.2.3");
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
  });

  it("refuses a bad address or region with a clear error", () => {
    expect(() => createCert(ca, { role: "client", additionalIpAddresses: ["not-an-ip"] })).toThrow(
      /not an IP address: "not-an-ip"/,
    );
    expect(() => createCert(ca, { role: "client", region: "a/b" })).toThrow(/region/);
    expect(() => createCert({ cert: "junk", key: "junk" }, { role: "client" })).toThrow(/cannot read the CA/);
  });

  it("names the files as Nomad does", () => {
    expect(certFileNames("server", "global")).toEqual({
      cert: "global-server-drover.pem",
      key: "global-server-drover-key.pem",
    });
  });

  it("AgentTls loads the files, knows a server certificate, and keeps the old material on a bad reload", () => {
    const server = createCert(ca, { role: "server" });
    const client = createCert(ca, { role: "client" });
    const files = { ca: join(dir, "ca.pem"), cert: join(dir, "s.pem"), key: join(dir, "s-key.pem") };
    writeFileSync(files.ca, ca.cert);
    writeFileSync(files.cert, server.cert);
    writeFileSync(files.key, server.key);
    const tls = new AgentTls(
      { ...TLS_DISABLED, rpc: true, caFile: files.ca, certFile: files.cert, keyFile: files.key },
      "global",
    );
    const asPeer = (pem: string) => {
      const x = new X509Certificate(pem);
      return { subjectaltname: x.subjectAltName } as never;
    };
    expect(tls.isServerCertificate(asPeer(server.cert))).toBe(true);
    expect(tls.isServerCertificate(asPeer(client.cert))).toBe(false);
    expect(certificateDnsNames(asPeer(client.cert))).toEqual(["client.global.drover", "localhost"]);
    // A key that does not match the certificate: the reload fails and the old material stays.
    writeFileSync(files.key, client.key);
    expect(() => tls.reload()).toThrow(/key values mismatch|s\.pem/);
    expect(tls.current().cert.toString()).toBe(server.cert);
    const next = createCert(ca, { role: "server" });
    writeFileSync(files.cert, next.cert);
    writeFileSync(files.key, next.key);
    const seen: string[] = [];
    tls.onReload((m) => seen.push(m.cert.toString()));
    tls.reload();
    expect(seen).toEqual([next.cert]);
  });

  it("a missing file is a one-line error naming it", () => {
    expect(
      () =>
        new AgentTls(
          { ...TLS_DISABLED, rpc: true, caFile: join(dir, "nope.pem"), certFile: "x", keyFile: "y" },
          "global",
        ),
    ).toThrow(/cannot read .*nope\.pem/);
  });
});
