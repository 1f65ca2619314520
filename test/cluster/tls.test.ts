import { spawn, spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DroverClient } from "../../src/cli/http-client.js";
import { type AgentProcess, LocalCluster, type ServerProcess } from "../../src/cli/local-cluster.js";
import { createCa, createCert, type PemPair } from "../../src/cli/tls-certs.js";
import { raftProto } from "../../src/raft/grpc-transport.js";
import { FORWARDED_KEY } from "../../src/rpc/rpc-status.js";
import { DROVER_BIN, drover } from "./cli-runner.js";
import { eventually } from "./fixtures/raft-cluster.js";
import { type PemFiles, probe, type TlsFiles, tlsArgs, writePair } from "./fixtures/tls.js";

// A 3-server cluster with mutual TLS on gRPC and HTTPS (client certificates required) and
// verify_server_hostname: what gets in, what does not, and a certificate rotation under load.

/** A server's Raft listener, as its RPC port tells another server (RaftOperator/RaftEndpoint). */
function raftEndpoint(rpcAddress: string, credentials: grpc.ChannelCredentials): Promise<string> {
  const client = new (raftProto().drover.raft.RaftOperator)(rpcAddress, credentials);
  return new Promise((resolve, reject) => {
    client.RaftEndpoint({}, { deadline: Date.now() + 10_000 }, (error, response) => {
      client.close();
      if (error !== null || response === undefined) reject(error ?? new Error("no answer"));
      else resolve(response.address);
    });
  });
}

/** The serial number of the certificate a TLS endpoint presents on a new connection. */
function presentedSerial(port: number, ca: Buffer, client: PemPair, alpn: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      {
        host: "127.0.0.1",
        port,
        ca,
        cert: client.cert,
        key: client.key,
        ALPNProtocols: alpn,
        servername: "localhost",
      },
      () => {
        const serial = socket.getPeerCertificate().serialNumber;
        socket.end();
        resolve(serial.toLowerCase());
      },
    );
    socket.once("error", reject);
  });
}

function serialOf(pem: string): Promise<string> {
  return import("node-forge").then((m) => m.default.pki.certificateFromPem(pem).serialNumber.toLowerCase());
}

async function metric(cluster: LocalCluster, server: AgentProcess, name: string): Promise<number> {
  const res = await cluster.fetch(`${server.httpUrl}/v1/metrics?format=prometheus`);
  const text = await res.text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  if (line === undefined) throw new Error(`${name} not in ${server.name}'s metrics`);
  return Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** A `drover agent` child process outside any LocalCluster, its output kept in memory. */
function startAgent(args: string[]): { output: () => string; kill: () => Promise<void> } {
  const child = spawn(
    process.execPath,
    [DROVER_BIN, "agent", "--bind", "127.0.0.1", "--http-port", "0", "--rpc-port", "0", ...args],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, DROVER_LOG_LEVEL: "info" } },
  );
  let output = "";
  const keep = (d: Buffer): void => {
    output += d.toString();
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    output: () => output,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

describe("mutual TLS: 3 servers, HTTPS API, role names, rotation", () => {
  let dir: string;
  let ca: PemPair;
  let caFile: string;
  let serverFiles: PemFiles;
  let clientPair: PemPair;
  let clientFiles: PemFiles;
  let cliPair: PemPair;
  let cliFiles: PemFiles;
  let rogueServer: PemPair;
  let rogueFiles: TlsFiles;
  let cluster: LocalCluster;
  let leader: ServerProcess;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "drover-tls-"));
    ca = createCa();
    caFile = join(dir, "ca.pem");
    await writeFile(caFile, ca.cert);
    serverFiles = await writePair(dir, "server", createCert(ca, { role: "server" }));
    clientPair = createCert(ca, { role: "client" });
    clientFiles = await writePair(dir, "client", clientPair);
    cliPair = createCert(ca, { role: "cli" });
    cliFiles = await writePair(dir, "cli", cliPair);
    // A server certificate with the right role name, from another CA.
    const otherCa = createCa();
    rogueServer = createCert(otherCa, { role: "server" });
    const otherCaFile = join(dir, "other-ca.pem");
    await writeFile(otherCaFile, otherCa.cert);
    rogueFiles = { ca: otherCaFile, ...(await writePair(dir, "rogue-server", rogueServer)) };
    cluster = await LocalCluster.start({
      servers: 3,
      extraArgs: tlsArgs({ ca: caFile, ...serverFiles }),
      https: { caCert: caFile, clientCert: cliFiles.cert, clientKey: cliFiles.key },
    });
    leader = await cluster.waitForLeader();
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("serves the HTTP API over HTTPS to the CLI with the CA and a CLI certificate", async () => {
    const members = await drover(leader.httpUrl, [
      "server",
      "members",
      "--ca-cert",
      caFile,
      "--client-cert",
      cliFiles.cert,
      "--client-key",
      cliFiles.key,
    ]);
    expect(members.stderr).toBe("");
    expect(members.status).toBe(0);
    for (const s of cluster.servers) expect(members.stdout).toContain(s.rpcAddress);
    // The same through the environment (Nomad's NOMAD_CACERT… are DROVER_CACERT…).
    const viaEnv = new DroverClient({
      address: leader.httpUrl,
      env: { DROVER_CACERT: caFile, DROVER_CLIENT_CERT: cliFiles.cert, DROVER_CLIENT_KEY: cliFiles.key },
    });
    expect((await viaEnv.request<string>("GET", "/v1/status/leader")).body).toBe(leader.rpcAddress);
    // No client certificate: verify_https_client refuses the handshake.
    const noCert = await drover(leader.httpUrl, ["server", "members", "--ca-cert", caFile]);
    expect(noCert.status).toBe(1);
    // Without the CA the agent's certificate is not trusted.
    const noCa = await drover(leader.httpUrl, [
      "server",
      "members",
      "--client-cert",
      cliFiles.cert,
      "--client-key",
      cliFiles.key,
    ]);
    expect(noCa.status).toBe(1);
    expect(noCa.stderr).toMatch(/certificate/i);
    // Plain HTTP to the HTTPS port gets no API answer.
    const plain = await fetch(leader.httpUrl.replace("https:", "http:") + "/v1/status/leader").then(
      (r) => r.status,
      () => "refused",
    );
    expect(plain).not.toBe(200);
  });

  it("refuses every gRPC caller without a certificate from the CA", async () => {
    const address = leader.rpcAddress;
    const caBuf = Buffer.from(ca.cert);
    const callers: Record<string, grpc.ChannelCredentials> = {
      plaintext: grpc.credentials.createInsecure(),
      "TLS without a client certificate": grpc.credentials.createSsl(caBuf),
      "a server certificate from another CA": grpc.credentials.createSsl(
        caBuf,
        Buffer.from(rogueServer.key),
        Buffer.from(rogueServer.cert),
      ),
    };
    const methods = [
      "/drover.server.Server/StatusLeader",
      "/drover.server.Server/NodeRegister",
      "/drover.server.Server/JobList",
      "/drover.raft.RaftTransport/Send",
      "/drover.raft.RaftOperator/Discover",
    ];
    for (const [who, credentials] of Object.entries(callers)) {
      for (const method of methods) {
        const outcome = await probe(address, method, { credentials });
        expect({ who, method, code: outcome.code }).toEqual({ who, method, code: grpc.status.UNAVAILABLE });
      }
    }
    // The control: the same probe with the CLI's certificate from the CA gets an answer.
    const ok = await probe(address, "/drover.server.Server/StatusLeader", {
      credentials: grpc.credentials.createSsl(caBuf, Buffer.from(cliPair.key), Buffer.from(cliPair.cert)),
    });
    expect(ok.code).toBe(grpc.status.OK);
  });

  it("a client certificate cannot act as a server: Raft, discovery, worker and forwarded calls are denied", async () => {
    const creds = grpc.credentials.createSsl(
      Buffer.from(ca.cert),
      Buffer.from(clientPair.key),
      Buffer.from(clientPair.cert),
    );
    // Raft's transport has its own listener (the Raft thread's); a server asks the RPC port where.
    const serverCreds = grpc.credentials.createSsl(
      Buffer.from(ca.cert),
      await readFile(serverFiles.key),
      await readFile(serverFiles.cert),
    );
    const raftAddress = await raftEndpoint(leader.rpcAddress, serverCreds);
    expect(raftAddress).not.toBe(leader.rpcAddress);
    for (const method of ["/drover.raft.RaftTransport/Send", "/drover.raft.RaftTransport/StreamPacked"]) {
      const outcome = await probe(raftAddress, method, { credentials: creds });
      expect({ method, code: outcome.code }).toEqual({ method, code: grpc.status.PERMISSION_DENIED });
    }
    for (const method of [
      "/drover.raft.RaftOperator/RaftEndpoint",
      "/drover.raft.RaftOperator/Discover",
      "/drover.raft.RaftOperator/AddServer",
      "/drover.server.Server/EvalDequeue",
      "/drover.server.Server/PlanSubmit",
    ]) {
      const outcome = await probe(leader.rpcAddress, method, { credentials: creds });
      expect({ method, code: outcome.code }).toEqual({ method, code: grpc.status.PERMISSION_DENIED });
    }
    const forwarded = new grpc.Metadata();
    forwarded.set(FORWARDED_KEY, "1");
    const fwd = await probe(leader.rpcAddress, "/drover.server.Server/JobList", {
      credentials: creds,
      metadata: forwarded,
    });
    expect(fwd.code).toBe(grpc.status.PERMISSION_DENIED);
    // What a client does is allowed.
    const list = await probe(leader.rpcAddress, "/drover.server.Server/JobList", { credentials: creds });
    expect(list.code).toBe(grpc.status.OK);
  });

  it("a client with a client certificate registers; agents with a bad certificate never get in", async () => {
    const good = await cluster.addClient({
      name: "c-good",
      extraArgs: tlsArgs({ ca: caFile, ...clientFiles }),
    });
    await eventually(
      () => `c-good ready; see ${good.logFile}`,
      60_000,
      async () => {
        const nodes = await cluster.http<Array<{ Name: string; Status: string }>>(leader, "GET", "/v1/nodes");
        return nodes.body.some((n) => n.Name === good.name && n.Status === "ready") ? true : undefined;
      },
    );
    // A client agent whose certificate comes from another CA, and a would-be server holding a
    // client certificate of the right CA trying to join the quorum. Neither ever gets far enough
    // to announce itself to a LocalCluster, so they run as bare processes.
    const rogue = startAgent([
      "--client",
      "--node",
      "c-rogue",
      "--data-dir",
      await mkdtemp(join(dir, "rogue-")),
      "--servers",
      cluster.rpcAddresses().join(","),
      ...tlsArgs(rogueFiles),
    ]);
    const impostor = startAgent([
      "--server",
      "--node",
      "impostor",
      "--data-dir",
      await mkdtemp(join(dir, "impostor-")),
      "--bootstrap-expect",
      "3",
      "--join",
      cluster.rpcAddresses().join(","),
      ...tlsArgs({ ca: caFile, ...clientFiles }),
    ]);
    try {
      // Both keep trying; wait until each has been refused at least once, then look.
      await eventually(
        () => `a server refusing the impostor; its log: ${impostor.output().slice(-2000)}`,
        60_000,
        async () => {
          for (const s of cluster.servers) {
            const log = await readFile(s.logFile, "utf8");
            if (log.includes("refused a call for servers only") && log.includes("client.global.drover"))
              return true;
          }
          return undefined;
        },
      );
      // The client tries every server, each until its RPC deadline, before it reports a failed
      // registration: that takes a while.
      const refusal = await eventually(
        () => `the rogue client's failed registration; its output: ${rogue.output().slice(-2000)}`,
        150_000,
        async () =>
          rogue
            .output()
            .split("\n")
            .find((line) => line.includes("node registration failed")),
      );
      expect(refusal).toMatch(/certificate/);
      const nodes = await cluster.http<Array<{ Name: string }>>(leader, "GET", "/v1/nodes");
      expect(nodes.body.map((n) => n.Name)).not.toContain("c-rogue");
      const conf = await cluster.http<{ Servers: Array<{ Node: string; ID: string }> }>(
        leader,
        "GET",
        "/v1/operator/raft/configuration",
      );
      expect(conf.body.Servers.map((s) => s.ID).sort()).toEqual(["s1", "s2", "s3"]);
    } finally {
      await impostor.kill();
      await rogue.kill();
    }
  }, 240_000);

  it("rotates certificates on SIGHUP under write load without a leader change", async () => {
    const before = await Promise.all(
      cluster.servers.map(async (s) => ({
        changes: await metric(cluster, s, "drover_raft_leader_changes_total"),
        term: await metric(cluster, s, "drover_raft_term"),
      })),
    );
    // Write load through every server (followers forward) while the certificates change.
    let stop = false;
    let acked = 0;
    const failures: string[] = [];
    const writer = async (server: ServerProcess, id: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const res = await cluster.http(server, "PUT", `/v1/var/rotate/${id}/${i}`, {
          Items: { i: String(i) },
        });
        if (res.status === 200) acked++;
        else failures.push(`${server.name}: ${res.status} ${JSON.stringify(res.body)}`);
      }
    };
    const writers = cluster.servers.map((s, i) => writer(s, i));
    await eventually("writes flowing", 30_000, async () => (acked >= 20 ? true : undefined));

    // New certificates from the same CA, swapped in atomically (rename), then SIGHUP.
    const fresh = createCert(ca, { role: "server" });
    await writeFile(`${serverFiles.cert}.new`, fresh.cert);
    await writeFile(`${serverFiles.key}.new`, fresh.key, { mode: 0o600 });
    await rename(`${serverFiles.key}.new`, serverFiles.key);
    await rename(`${serverFiles.cert}.new`, serverFiles.cert);
    const ackedAtRotation = acked;
    for (const s of cluster.servers) s.proc?.kill("SIGHUP");
    const freshSerial = await serialOf(fresh.cert);
    const caBuf = readFileSync(caFile);
    const serverCreds = grpc.credentials.createSsl(
      caBuf,
      readFileSync(serverFiles.key),
      readFileSync(serverFiles.cert),
    );
    for (const s of cluster.servers) {
      // The Raft thread's listener reloads too (main tells the thread on SIGHUP).
      const raftAddress = await raftEndpoint(s.rpcAddress, serverCreds);
      const raftPort = Number(raftAddress.slice(raftAddress.lastIndexOf(":") + 1));
      await eventually(`${s.name} presents the new certificate on gRPC, Raft and HTTPS`, 30_000, async () => {
        const rpc = await presentedSerial(s.rpcPort, caBuf, cliPair, ["h2"]);
        const raft = await presentedSerial(raftPort, caBuf, cliPair, ["h2"]);
        const https = await presentedSerial(s.httpPort, caBuf, cliPair, ["http/1.1"]);
        return rpc === freshSerial && raft === freshSerial && https === freshSerial ? true : undefined;
      });
    }
    // Writes keep being acknowledged after the rotation, over the existing Raft streams and new
    // connections alike.
    await eventually("writes after the rotation", 30_000, async () =>
      acked >= ackedAtRotation + 50 ? true : undefined,
    );
    stop = true;
    await Promise.all(writers);
    expect(failures).toEqual([]);
    const after = await Promise.all(
      cluster.servers.map(async (s) => ({
        changes: await metric(cluster, s, "drover_raft_leader_changes_total"),
        term: await metric(cluster, s, "drover_raft_term"),
      })),
    );
    expect(after).toEqual(before);
    expect((await cluster.waitForLeader()).name).toBe(leader.name);
    // Every server is still alive (SIGHUP did not stop any).
    for (const s of cluster.servers) expect(s.proc?.exitCode).toBeNull();
  }, 120_000);
});

describe("drover tls ca create / cert create", () => {
  it("writes Nomad-named files in the working directory and never overwrites them", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "drover-tls-cli-"));
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [DROVER_BIN, "tls", ...args], { cwd, encoding: "utf8" });
    try {
      expect(run("ca", "create").status).toBe(0);
      const server = run("cert", "create", "-server", "-region", "eu", "-additional-dnsname", "s1.example");
      expect(server.stderr).toBe("");
      expect(server.stdout).toContain("eu-server-drover.pem");
      const cert = new X509Certificate(readFileSync(join(cwd, "eu-server-drover.pem")));
      expect(cert.subjectAltName).toBe(
        "DNS:server.eu.drover, DNS:localhost, DNS:s1.example, IP Address:127.0.0.1",
      );
      expect(cert.verify(new X509Certificate(readFileSync(join(cwd, "drover-agent-ca.pem"))).publicKey)).toBe(
        true,
      );
      expect(statSync(join(cwd, "eu-server-drover-key.pem")).mode & 0o777).toBe(0o600);
      const again = run("cert", "create", "-server", "-region", "eu");
      expect(again.status).toBe(1);
      expect(again.stderr).toMatch(/eu-server-drover.pem already exists/);
      const none = run("cert", "create");
      expect(none.status).toBe(1);
      expect(none.stderr).toMatch(/exactly one of -server, -client or -cli/);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
