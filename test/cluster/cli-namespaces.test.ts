import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalCluster } from "../../src/cli/local-cluster.js";
import { type CliRun, DROVER_BIN, drover } from "./cli-runner.js";

/** The built CLI with DROVER_NAMESPACE set (drover() passes the test's own environment). */
function droverIn(namespace: string, addr: string, args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [DROVER_BIN, ...args],
      {
        env: { ...process.env, DROVER_ADDR: addr, DROVER_TOKEN: "", DROVER_NAMESPACE: namespace },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

const JOB = `
job "web" {
  datacenters = ["dc1"]
  group "g" {
    task "t" {
      driver = "mock"
      config {
        run_for = "1h"
      }
    }
  }
}
`;

// `drover namespace …` as a user runs it: the built CLI in a child process against one real server.
describe("drover namespace against a real cluster", () => {
  let cluster: LocalCluster;
  let addr: string;
  let dir: string;
  const run = (...args: string[]): Promise<CliRun> => drover(addr, args);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "drover-cli-ns-"));
    cluster = await LocalCluster.start({ servers: 1 });
    addr = (await cluster.waitForLeader(60_000)).httpUrl;
  });

  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("lists default before anything is created", async () => {
    const res = await run("namespace", "list");
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^Name\s+Description\ndefault\s+Default shared namespace\n$/);
  });

  it("applies a namespace from flags and shows it; a later apply keeps what its flags do not change", async () => {
    const applied = await run(
      "namespace",
      "apply",
      "-description",
      "Production",
      "-meta",
      "team=ops",
      "prod",
    );
    expect(applied.status, applied.stderr).toBe(0);
    expect(applied.stdout).toBe('Successfully applied namespace "prod"!\n');
    const again = await run("namespace", "apply", "--description=Production EU", "prod");
    expect(again.status, again.stderr).toBe(0);
    const status = await run("namespace", "status", "prod");
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^Name\s+= prod$/m);
    expect(status.stdout).toMatch(/^Description\s+= Production EU$/m);
    expect(status.stdout).toMatch(/^Metadata\nteam = ops$/m);
    const json = await run("namespace", "status", "prod", "-json");
    expect(JSON.parse(json.stdout)).toMatchObject({ Name: "prod", Meta: { team: "ops" } });
  });

  it("applies HCL and JSON specification files", async () => {
    const hcl = join(dir, "dev.hcl");
    await writeFile(
      hcl,
      'name = "dev"\ndescription = "Development"\nquota = "small"\nmeta {\n  owner = "alice"\n}\n',
    );
    const fromHcl = await run("namespace", "apply", hcl);
    expect(fromHcl.status, fromHcl.stderr).toBe(0);
    const jsonFile = join(dir, "qa.json");
    await writeFile(jsonFile, JSON.stringify({ Name: "qa", Description: "QA", Meta: { tier: "2" } }));
    expect((await run("namespace", "apply", jsonFile)).status).toBe(0);

    const list = await run("namespace", "list", "--json");
    expect(list.status, list.stderr).toBe(0);
    const listed = JSON.parse(list.stdout) as Array<{ Name: string; Description: string; Meta: object }>;
    expect(listed.map((n) => n.Name)).toEqual(["default", "dev", "prod", "qa"]);
    expect(listed.find((n) => n.Name === "dev")).toMatchObject({
      Description: "Development",
      Meta: { owner: "alice" },
      Quota: "small",
    });
    const table = await run("namespace", "list");
    expect(table.stdout).toMatch(/^qa\s+QA$/m);

    const broken = join(dir, "broken.hcl");
    await writeFile(broken, 'name = "x"\ncolour = "red"\n');
    const bad = await run("namespace", "apply", broken);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('unknown attribute or block "colour"');
  });

  it("answers errors in one line with exit 1", async () => {
    const missing = await run("namespace", "status", "nope");
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe('Namespace "nope" not found\n');
    const badName = await run("namespace", "apply", "no_underscores");
    expect(badName.status).toBe(1);
    expect(badName.stderr).toContain("invalid namespace name");
    const deleteDefault = await run("namespace", "delete", "default");
    expect(deleteDefault.status).toBe(1);
    expect(deleteDefault.stderr).toContain('namespace "default" can not be deleted');
    const deleteMissing = await run("namespace", "delete", "nope");
    expect(deleteMissing.status).toBe(1);
    expect(deleteMissing.stderr).toBe('Namespace "nope" not found\n');
  });

  it("puts jobs and variables into --namespace or DROVER_NAMESPACE; delete waits until they are gone", async () => {
    const file = join(dir, "web.hcl");
    await writeFile(file, JOB);
    const runJob = await run("job", "run", "-detach", "-namespace", "qa", file);
    expect(runJob.status, runJob.stderr).toBe(0);
    const put = await droverIn("qa", addr, ["var", "put", "app/cfg", "k=v"]);
    expect(put.status, put.stderr).toBe(0);

    expect((await run("job", "status", "web")).status).toBe(1);
    const status = await droverIn("qa", addr, ["job", "status", "web"]);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^Namespace\s+= qa$/m);
    const vars = await run("var", "list", "--namespace", "qa", "--json");
    expect((JSON.parse(vars.stdout) as Array<{ Path: string }>).map((v) => v.Path)).toEqual(["app/cfg"]);

    const refused = await run("namespace", "delete", "qa");
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('namespace "qa" contains at least one non-terminal job "web"');

    expect((await run("job", "stop", "-purge", "-detach", "-namespace", "qa", "web")).status).toBe(0);
    const withVar = await run("namespace", "delete", "qa");
    expect(withVar.status).toBe(1);
    expect(withVar.stderr).toContain('contains at least one variable "app/cfg"');
    expect((await droverIn("qa", addr, ["var", "purge", "app/cfg"])).status).toBe(0);

    const deleted = await run("namespace", "delete", "qa");
    expect(deleted.status, deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe('Successfully deleted namespace "qa"!\n');
    expect((await run("namespace", "status", "qa")).status).toBe(1);

    const unknown = await run("job", "run", "-detach", "-namespace", "gone", file);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('namespace "gone" does not exist');
  });
});
