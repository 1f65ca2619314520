// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolation in a job constraint is a plain string
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, LocalCluster } from "../../src/cli/local-cluster.js";
import { drover } from "./cli-runner.js";
import {
  type AllocStub,
  clientNodeId,
  job,
  jobAllocs,
  pidAlive,
  shellTask,
  waitForFile,
  waitForPidsGone,
  waitForQuery,
} from "./client-helpers.js";

interface NodeDetail {
  ID: string;
  Name: string;
  Status: string;
}

// Three real servers with short heartbeat TTLs and real client agents: a client that goes silent
// (SIGSTOP) with a job whose group has a disconnect block, and clients cut off from every server.
describe("disconnected clients on a real cluster", () => {
  let cluster: LocalCluster;
  let dir: string;
  const clients: AgentProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "drover-disconnect-test-"));
    cluster = await LocalCluster.start({
      servers: 3,
      extraArgs: ["--min-heartbeat-ttl", "2s", "--heartbeat-grace", "2s"],
    });
    await cluster.waitForLeader(60_000);
    for (const name of ["c1", "c2"]) {
      const client = await cluster.addClient({ name });
      await clientNodeId(cluster, client);
      clients.push(client);
    }
  });

  afterAll(async () => {
    // A test that failed half-way may leave a client stopped: let it end cleanly.
    for (const client of clients) client.proc?.kill("SIGCONT");
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(body: unknown): Promise<void> {
    const server = await cluster.waitForLeader(30_000);
    const res = await cluster.http<{ error?: string }>(server, "POST", "/v1/jobs", body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }

  function node(id: string, check: (n: NodeDetail) => boolean, what: string): Promise<NodeDetail> {
    return waitForQuery<NodeDetail>(cluster, `/v1/node/${id}`, check, 60_000, what);
  }

  it("a silent client's node becomes disconnected, its alloc unknown; on reconnect keep_original keeps it", async () => {
    await run(
      job("dc", "service", [
        {
          Name: "g",
          Count: 1,
          Disconnect: { LostAfter: 300e9, Replace: true, Reconcile: "keep_original" },
          Tasks: [shellTask("t", `echo $$ > ${dir}/dc-$NOMAD_ALLOC_ID.pid && exec sleep 3600`)],
        },
      ]),
    );
    const [original] = await jobAllocs(cluster, "dc", (a) => a[0]?.ClientStatus === "running", "dc running");
    if (original === undefined) throw new Error("no allocation");
    const pidOf = async (allocId: string): Promise<number> =>
      Number((await waitForFile(join(dir, `dc-${allocId}.pid`), (t) => t.endsWith("\n"), 30_000)).trim());
    const originalPid = await pidOf(original.ID);
    const host = await node(original.NodeID, () => true, "original node");
    const silent = cluster.agent(host.Name);

    silent.proc?.kill("SIGSTOP");
    await node(original.NodeID, (n) => n.Status === "disconnected", "node disconnected");
    const during = await jobAllocs(
      cluster,
      "dc",
      (a) =>
        a.some((x) => x.ID === original.ID && x.ClientStatus === "unknown" && x.DesiredStatus === "run") &&
        a.some((x) => x.ID !== original.ID && x.ClientStatus === "running"),
      "original unknown, replacement running",
    );
    const replacement = during.find((a) => a.ID !== original.ID) as AllocStub;
    expect(replacement.Name).toBe(original.Name);
    expect(replacement.NodeID).not.toBe(original.NodeID);
    const replacementPid = await pidOf(replacement.ID);
    // The silent client's task was never touched: two copies run, as replace = true allows.
    expect(pidAlive(originalPid)).toBe(true);
    const leader = await cluster.waitForLeader(30_000);
    const cli = await drover(leader.httpUrl, ["node", "status"]);
    expect(cli.stdout).toMatch(new RegExp(`${host.Name}\\s.*disconnected`));
    const metrics = await (await fetch(`${leader.httpUrl}/v1/metrics?format=prometheus`)).text();
    expect(metrics).toMatch(/drover_nodes\{status="disconnected",agent="s\d"\} 1/);

    silent.proc?.kill("SIGCONT");
    await node(original.NodeID, (n) => n.Status === "ready", "node ready again");
    const after = await jobAllocs(
      cluster,
      "dc",
      (a) =>
        a.some((x) => x.ID === original.ID && x.ClientStatus === "running" && x.DesiredStatus === "run") &&
        a.some((x) => x.ID === replacement.ID && x.DesiredStatus === "stop"),
      "original kept, replacement stopped",
    );
    expect(after.filter((a) => a.DesiredStatus === "run")).toHaveLength(1);
    await waitForPidsGone([replacementPid], 30_000);
    expect(pidAlive(originalPid)).toBe(true);
  });

  it("a client killed and restarted within lost_after re-attaches; keep_replacement stops its original", async () => {
    await run(
      job("dk", "service", [
        {
          Name: "g",
          Count: 1,
          Disconnect: { LostAfter: 300e9, Replace: true, Reconcile: "keep_replacement" },
          Tasks: [shellTask("t", `echo $$ > ${dir}/dk-$NOMAD_ALLOC_ID.pid && exec sleep 3600`)],
        },
      ]),
    );
    const [original] = await jobAllocs(cluster, "dk", (a) => a[0]?.ClientStatus === "running", "dk running");
    if (original === undefined) throw new Error("no allocation");
    const pidOf = async (allocId: string): Promise<number> =>
      Number((await waitForFile(join(dir, `dk-${allocId}.pid`), (t) => t.endsWith("\n"), 30_000)).trim());
    const originalPid = await pidOf(original.ID);
    const host = await node(original.NodeID, () => true, "original node");

    await cluster.kill(host.Name);
    await node(original.NodeID, (n) => n.Status === "disconnected", "node disconnected");
    const during = await jobAllocs(
      cluster,
      "dk",
      (a) =>
        a.some((x) => x.ID === original.ID && x.ClientStatus === "unknown") &&
        a.some((x) => x.ID !== original.ID && x.ClientStatus === "running"),
      "original unknown, replacement running",
    );
    const replacement = during.find((a) => a.ID !== original.ID) as AllocStub;
    const replacementPid = await pidOf(replacement.ID);
    expect(pidAlive(originalPid)).toBe(true);

    await cluster.restart(host.Name);
    await node(original.NodeID, (n) => n.Status === "ready", "node ready again");
    await jobAllocs(
      cluster,
      "dk",
      (a) =>
        a.some((x) => x.ID === original.ID && x.DesiredStatus === "stop") &&
        a.some((x) => x.ID === replacement.ID && x.DesiredStatus === "run" && x.ClientStatus === "running"),
      "replacement kept, original stopped",
    );
    await waitForPidsGone([originalPid], 30_000);
    expect(pidAlive(replacementPid)).toBe(true);
  });

  it("a client cut off from every server longer than stop_on_client_after stops its tasks", async () => {
    const client = await cluster.addClient({ name: "c3" });
    clients.push(client);
    const nodeId = await clientNodeId(cluster, client);
    const pidFile = join(dir, "stop-after.pid");
    await run(
      job("stopper", "service", [
        {
          Name: "g",
          Count: 1,
          Constraints: [{ LTarget: "${node.unique.id}", RTarget: nodeId, Operand: "=" }],
          Disconnect: { StopOnClientAfter: 3e9 },
          Tasks: [
            shellTask("t", `echo $$ > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile} && exec sleep 3600`),
          ],
        },
      ]),
    );
    const [alloc] = await jobAllocs(
      cluster,
      "stopper",
      (a) => a[0]?.ClientStatus === "running",
      "stopper running",
    );
    if (alloc === undefined) throw new Error("no allocation");
    const pid = Number((await waitForFile(pidFile, (t) => t.trim() !== "", 30_000)).trim());
    expect(pidAlive(pid)).toBe(true);

    // Every server the client knows is gone: it keeps the task for 3 s, then stops it.
    for (const server of cluster.servers) await cluster.kill(server.name);
    await waitForPidsGone([pid], 30_000);
    const log = await readFile(client.logFile, "utf8");
    expect(log).toContain("no server reachable for too long");

    // The servers come back; the client reports what it stopped.
    await Promise.all(cluster.servers.map((server) => cluster.restart(server.name)));
    await cluster.waitForLeader(60_000);
    await jobAllocs(
      cluster,
      "stopper",
      (a) => a.some((x) => x.ID === alloc.ID && x.ClientStatus !== "running" && x.ClientStatus !== "pending"),
      "stopped alloc reported",
      90_000,
    );
  });
});
