// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad constraint targets are plain strings

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventDescription, formatAllocStatus, lastLinesStart } from "../../src/cli/commands/alloc.js";
import {
  errorMessage,
  keyValue,
  keyValues as parseKeyValues,
  resolvePrefix,
} from "../../src/cli/commands/common.js";
import { loadJobFile, outstandingFailures } from "../../src/cli/commands/job.js";
import { currentAllocs, groupProgress, settled } from "../../src/cli/commands/monitor.js";
import { members } from "../../src/cli/commands/server.js";
import { casConflictMessage } from "../../src/cli/commands/var.js";
import {
  AgentUnreachableError,
  type AllocStub,
  ApiError,
  DroverClient,
  resolveAddress,
} from "../../src/cli/http-client.js";
import {
  ago,
  CliError,
  explainPlacement,
  formatTime,
  keyValues,
  placementFailures,
  progressLine,
  shortDuration,
  table,
} from "../../src/cli/output.js";
import { emptyAllocMetric } from "../../src/fsm/alloc-metric.js";
import type { Allocation, AllocMetric } from "../../src/fsm/index.js";

function metric(fields: Partial<AllocMetric>): AllocMetric {
  return { ...emptyAllocMetric(), NodesEvaluated: 4, NodesInPool: 4, ...fields };
}

describe("output formatting", () => {
  it("prints borderless tables with columns two spaces apart and no trailing blanks", () => {
    const text = table(
      ["ID", "Status"],
      [
        ["a1", "running"],
        ["bbbbbb", "x"],
      ],
    );
    expect(text.split("\n")).toEqual(["ID      Status", "a1      running", "bbbbbb  x"]);
  });

  it("aligns key = value blocks and shows empty values as <none>", () => {
    expect(
      keyValues([
        ["ID", "x"],
        ["Client Status", "running"],
        ["Desc", ""],
      ]).split("\n"),
    ).toEqual(["ID            = x", "Client Status = running", "Desc          = <none>"]);
  });

  it("shortens durations and times the way Nomad does", () => {
    expect(shortDuration(4_500)).toBe("4s");
    expect(shortDuration(192_000)).toBe("3m12s");
    expect(shortDuration(2 * 3600_000 + 5 * 60_000)).toBe("2h5m");
    expect(shortDuration(3 * 86400_000)).toBe("3d");
    expect(ago(1_000 * 1e6, 61_000)).toBe("1m ago");
    expect(ago(0)).toBe("");
    expect(formatTime(Date.UTC(2024, 4, 1, 12, 3, 4) * 1e6, 0)).toBe("2024-05-01T12:03:04Z");
    expect(formatTime(Date.UTC(2024, 4, 1, 12, 3, 4) * 1e6, 120)).toBe("2024-05-01T14:03:04+02:00");
    expect(formatTime(Date.UTC(2024, 4, 1, 0, 30, 0) * 1e6, -90)).toBe("2024-04-30T23:00:00-01:30");
  });

  it("prints one progress line per group", () => {
    const p = { group: "web", desired: 3, placed: 2, running: 1, healthy: 0, failed: 1, complete: 0 };
    expect(progressLine(p, false)).toBe(
      'Task Group "web": desired 3, placed 2, running 1, healthy 0, failed 1',
    );
    expect(progressLine(p, true)).toMatch(/, complete 0$/);
  });
});

describe("placement failures in words", () => {
  it("says what exhausted and filtered the nodes, in one line", () => {
    const m = metric({
      NodesExhausted: 2,
      DimensionExhausted: { memory: 2 },
      NodesFiltered: 2,
      ConstraintFiltered: { "${meta.rack} = r1": 1, "missing drivers": 1 },
    });
    expect(explainPlacement(m)).toBe(
      "2 nodes exhausted on memory, 1 filtered by constraint ${meta.rack} = r1, 1 missing drivers",
    );
  });

  it("uses the singular for one node and lists bigger counts first", () => {
    const m = metric({
      NodesExhausted: 4,
      DimensionExhausted: { cpu: 1, memory: 3 },
    });
    expect(explainPlacement(m)).toBe("3 nodes exhausted on memory, 1 node exhausted on cpu");
  });

  it("explains an empty datacenter and a cluster without nodes", () => {
    expect(explainPlacement(metric({ NodesEvaluated: 0, NodesAvailable: { dc2: 0 } }))).toBe(
      'no nodes are available in datacenter "dc2"',
    );
    expect(explainPlacement(metric({ NodesEvaluated: 0, NodesInPool: 0 }))).toBe(
      "no nodes in the job's node pool",
    );
  });

  it("reads distinct_hosts and missing properties as they are", () => {
    const m = metric({ ConstraintFiltered: { distinct_hosts: 2, "missing property ${meta.zone}": 1 } });
    expect(explainPlacement(m)).toBe("2 distinct_hosts, 1 missing property ${meta.zone}");
  });

  it("heads each failed group with the number of allocations it could not place", () => {
    const lines = placementFailures({
      web: metric({ CoalescedFailures: 1, ConstraintFiltered: { "missing drivers": 1 } }),
      api: metric({ NodesExhausted: 1, DimensionExhausted: { "network: bandwidth exceeded": 1 } }),
    });
    expect(lines).toEqual([
      'Task Group "api" (failed to place 1 allocation):',
      "  * 1 node exhausted on network: bandwidth exceeded",
      'Task Group "web" (failed to place 2 allocations):',
      "  * 1 missing drivers",
    ]);
  });

  it("shows a job's failures only while an eval is blocked on them", () => {
    const failed = { ID: "e1", Status: "complete", CreateIndex: 5, FailedTGAllocs: { g: metric({}) } };
    const blocked = { ID: "e2", Status: "blocked", CreateIndex: 6, FailedTGAllocs: {} };
    type E = Parameters<typeof outstandingFailures>[0][number];
    expect(outstandingFailures([failed, blocked] as unknown as E[])?.ID).toBe("e1");
    expect(outstandingFailures([failed] as unknown as E[])).toBeUndefined();
  });
});

describe("job run progress", () => {
  const stub = (over: Partial<AllocStub>): AllocStub =>
    ({
      ID: "a",
      TaskGroup: "web",
      JobVersion: 0,
      DesiredStatus: "run",
      ClientStatus: "pending",
      NextAllocation: "",
      DeploymentStatus: null,
      ...over,
    }) as AllocStub;
  const job = (type: string, count = 2) =>
    ({ Type: type, TaskGroups: [{ Name: "web", Count: count }] }) as unknown as Parameters<
      typeof groupProgress
    >[0];

  it("counts the current version's allocations that are not replaced or stopped", () => {
    const allocs = currentAllocs(
      [
        stub({ ID: "1", ClientStatus: "running" }),
        stub({ ID: "2", ClientStatus: "failed", NextAllocation: "3" }),
        stub({ ID: "3", ClientStatus: "running", DeploymentStatus: { Healthy: true } as never }),
        stub({ ID: "4", JobVersion: 1 }),
        stub({ ID: "5", DesiredStatus: "stop" }),
      ],
      0,
    );
    expect(allocs.map((a) => a.ID)).toEqual(["1", "3"]);
    expect(groupProgress(job("service"), allocs)).toEqual([
      { group: "web", desired: 2, placed: 2, running: 2, healthy: 1, failed: 0, complete: 0 },
    ]);
  });

  it("is settled when a service runs, a batch has finished, or a service failed with nothing pending", () => {
    const check = (type: string, statuses: string[]): boolean => {
      const allocs = statuses.map((s, i) =>
        stub({ ID: String(i), ClientStatus: s as AllocStub["ClientStatus"] }),
      );
      return settled(job(type), groupProgress(job(type), allocs), allocs);
    };
    expect(check("service", ["running", "running"])).toBe(true);
    expect(check("service", ["running", "pending"])).toBe(false);
    expect(check("service", ["running", "failed"])).toBe(true);
    expect(check("service", ["running"])).toBe(false);
    expect(check("batch", ["complete", "running"])).toBe(false);
    expect(check("batch", ["complete", "failed"])).toBe(true);
  });
});

describe("alloc status and logs helpers", () => {
  it("describes a termination with its exit code", () => {
    const e = { Type: "Terminated", Time: 0, Message: "", DisplayMessage: "", ExitCode: 3, Signal: 0 };
    expect(eventDescription(e)).toBe("Exit Code: 3");
    expect(eventDescription({ ...e, Type: "Started", DisplayMessage: "Task started by client" })).toBe(
      "Task started by client",
    );
  });

  it("prints an allocation with its tasks and recent events, newest first", () => {
    const now = Date.UTC(2024, 0, 1, 0, 1, 0);
    const alloc = {
      ID: "0123456789abcdef",
      EvalID: "fedcba9876543210",
      Name: "web.g[0]",
      NodeID: "nnnnnnnnnnnn",
      NodeName: "c1",
      JobID: "web",
      JobVersion: 0,
      ClientStatus: "running",
      ClientDescription: "Tasks are running",
      DesiredStatus: "run",
      DesiredDescription: "",
      CreateTime: (now - 30_000) * 1e6,
      ModifyTime: (now - 5_000) * 1e6,
      DeploymentStatus: null,
      NextAllocation: "",
      AllocatedResources: { Tasks: { t: { Cpu: { CpuShares: 100 }, Memory: { MemoryMB: 64 } } } },
      TaskStates: {
        t: {
          State: "running",
          Failed: false,
          Restarts: 0,
          Events: [
            { Type: "Received", Time: (now - 30_000) * 1e6, DisplayMessage: "Task received by client" },
            { Type: "Started", Time: (now - 29_000) * 1e6, DisplayMessage: "Task started by client" },
          ],
        },
      },
    } as unknown as Allocation;
    const text = formatAllocStatus(alloc, { nowMs: now });
    expect(text).toContain("ID                  = 01234567");
    expect(text).toContain("Desired Description = <none>");
    expect(text).toContain("Created             = 30s ago");
    expect(text).toContain('Task "t" is "running"');
    expect(text).toContain("100 MHz  64 MiB");
    expect(text.indexOf("Started")).toBeLessThan(text.indexOf("Received"));
  });

  it("finds where the last N lines start", () => {
    const buf = Buffer.from("a\nbb\nccc\n");
    expect(lastLinesStart(buf, 1)).toBe(5);
    expect(lastLinesStart(buf, 2)).toBe(2);
    expect(lastLinesStart(buf, 3)).toBe(-1);
    expect(lastLinesStart(Buffer.from("a\nb"), 1)).toBe(2);
  });
});

describe("arguments", () => {
  it("splits key=value at the first =", () => {
    expect(keyValue("a=b=c", "-meta")).toEqual(["a", "b=c"]);
    expect(parseKeyValues(["x=1", "y="], "an item")).toEqual({ x: "1", y: "" });
    expect(() => keyValue("novalue", "-meta")).toThrow(CliError);
    expect(() => keyValue("=v", "-meta")).toThrow(/key=value/);
  });

  it("resolves a unique ID prefix and lists the candidates of an ambiguous one", async () => {
    const all = [{ ID: "abc123" }, { ID: "abd456" }, { ID: "xyz" }];
    const list = async (p: string) => all.filter((x) => x.ID.startsWith(p));
    const describe = (c: Array<{ ID: string }>) => c.map((x) => x.ID).join("\n");
    expect(await resolvePrefix("allocation", "abc", list, describe)).toBe("abc123");
    await expect(resolvePrefix("allocation", "ab", list, describe)).rejects.toThrow(
      /matched 2 allocations[\s\S]*abc123\nabd456/,
    );
    await expect(resolvePrefix("allocation", "q", list, describe)).rejects.toThrow(
      'No allocation with prefix or ID "q" found',
    );
  });

  it("explains check-and-set conflicts", () => {
    expect(casConflictMessage("a/b", 0, { ModifyIndex: 12 })).toMatch(
      /only creates, but it already exists \(check index 12\)/,
    );
    expect(casConflictMessage("a/b", 3, { ModifyIndex: 12 })).toMatch(
      /changed since check index 3; its check index is now 12/,
    );
    expect(casConflictMessage("a/b", 3, null)).toMatch(/there is no such variable/);
  });

  it("lists the servers with the leader marked", () => {
    expect(members(["b:1", "a:1"], "b:1")).toEqual([
      { Address: "a:1", Status: "alive", Leader: false },
      { Address: "b:1", Status: "alive", Leader: true },
    ]);
  });
});

describe("job files read locally", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "drover-cli-unit-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads HCL with -var values", async () => {
    const file = join(dir, "ok.hcl");
    await writeFile(
      file,
      `variable "n" {\n  type = number\n}\njob "v" {\n  group "g" {\n    count = var.n\n    task "t" {\n      driver = "raw_exec"\n      config {\n        command = "/bin/true"\n      }\n    }\n  }\n}\n`,
    );
    const { job } = await loadJobFile(file, { var: ["n=3"] });
    expect(job.ID).toBe("v");
    expect(job.TaskGroups[0]?.Count).toBe(3);
  });

  it("reports an HCL mistake at file:line,col", async () => {
    const file = join(dir, "bad.hcl");
    await writeFile(
      file,
      `job "x" {\n  group "g" {\n    count = -1\n    task "t" {\n      driver = "raw_exec"\n    }\n  }\n}\n`,
    );
    await expect(loadJobFile(file, {})).rejects.toThrow(
      new RegExp(`^${file.replace(/[.]/g, "\\.")}:3,\\d+: `),
    );
  });

  it("reports a JSON job's mistake at its path, and a missing file in words", async () => {
    const file = join(dir, "bad.json");
    await writeFile(
      file,
      JSON.stringify({ Job: { ID: "j", TaskGroups: [{ Name: "g", Count: -1, Tasks: [] }] } }),
    );
    await expect(loadJobFile(file, {})).rejects.toThrow(/bad\.json: .*Job\.TaskGroups\[0\]/);
    await expect(loadJobFile(join(dir, "none.hcl"), {})).rejects.toThrow(
      /Error reading job file .*: no such file/,
    );
  });
});

describe("HTTP client", () => {
  let server: Server;
  let address: string;
  let lastHeaders: IncomingHttpHeaders = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      lastHeaders = req.headers;
      if (req.url?.startsWith("/v1/job/missing")) {
        res.writeHead(404, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: "job missing not found" }));
      } else if (req.url?.startsWith("/v1/slow")) {
        setTimeout(() => res.end("null"), 2_000);
      } else {
        res.writeHead(200, { "Content-Type": "application/json", "X-Nomad-Index": "42" });
        res.end(JSON.stringify(["127.0.0.1:4647"]));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("takes the address from the flag, then DROVER_ADDR, then the default", () => {
    expect(resolveAddress("10.0.0.1:4646", { DROVER_ADDR: "http://x:1" })).toBe("http://10.0.0.1:4646");
    expect(resolveAddress(undefined, { DROVER_ADDR: "http://x:1/" })).toBe("http://x:1");
    expect(resolveAddress(undefined, {})).toBe("http://127.0.0.1:4646");
    expect(() => resolveAddress("ftp://x", {})).toThrow(AgentUnreachableError);
  });

  it("sends the token and reads the index of an answer", async () => {
    const client = new DroverClient({ address, env: { DROVER_TOKEN: "s3cret" } });
    const answer = await client.request<string[]>("GET", "/v1/status/peers");
    expect(answer).toEqual({ body: ["127.0.0.1:4647"], index: 42 });
    expect(lastHeaders["x-nomad-token"]).toBe("s3cret");
    await new DroverClient({ address, env: {} }).peers();
    expect(lastHeaders["x-nomad-token"]).toBeUndefined();
  });

  it("turns an error answer into one line with its status", async () => {
    const client = new DroverClient({ address, env: {} });
    const error = await client.job("missing").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(404);
    expect(errorMessage(error).message).toBe("Error: GET /v1/job/missing: 404 job missing not found");
  });

  it("says the agent is unreachable and when it does not answer in time", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await new DroverClient({ address: `127.0.0.1:${port}`, env: {} })
      .peers()
      .catch((e: unknown) => e);
    expect((refused as Error).message).toBe(
      `Error querying the agent at http://127.0.0.1:${port}: connection refused`,
    );
    const slow = await new DroverClient({ address, env: {}, timeoutMs: 200 })
      .get("/v1/slow")
      .catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(AgentUnreachableError);
    expect((slow as Error).message).toMatch(/: no answer within 200 ms$/);
  });
});
