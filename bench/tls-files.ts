import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createCa, createCert } from "../src/cli/tls-certs.js";

/**
 * Mutual TLS material for a benchmark's TLS variant, made with `drover tls`'s code: a CA and one
 * certificate for each role, as files an agent or a client loads. Not a benchmark of its own
 * (it exports no run()).
 */

/** A certificate and its key on disk. */
export interface PemFiles {
  cert: string;
  key: string;
}

export interface BenchTls {
  /** The CA's certificate. */
  ca: string;
  server: PemFiles;
  client: PemFiles;
  cli: PemFiles;
}

/** Writes a fresh CA and a server, client and CLI certificate into `dir` (created if missing). */
export function writeBenchTls(dir: string): BenchTls {
  mkdirSync(dir, { recursive: true });
  const ca = createCa();
  const write = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text, { mode: 0o600 });
    return file;
  };
  const pair = (role: "server" | "client" | "cli"): PemFiles => {
    const p = createCert(ca, { role });
    return { cert: write(`${role}.pem`, p.cert), key: write(`${role}-key.pem`, p.key) };
  };
  return { ca: write("ca.pem", ca.cert), server: pair("server"), client: pair("client"), cli: pair("cli") };
}

/**
 * A server agent's flags for mutual TLS on gRPC and HTTPS: peers' certificates must come from the
 * CA, servers must present the server role name, HTTPS callers a certificate.
 */
export function serverTlsArgs(tls: BenchTls): string[] {
  return [
    "--tls-rpc",
    "--tls-http",
    "--tls-verify-server-hostname",
    "--tls-verify-https-client",
    "--tls-ca-file",
    tls.ca,
    "--tls-cert-file",
    tls.server.cert,
    "--tls-key-file",
    tls.server.key,
  ];
}
