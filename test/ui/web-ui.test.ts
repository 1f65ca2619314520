import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, LocalCluster, type ServerProcess } from "../../src/cli/local-cluster.js";
import { clientNodeId, jobAllocs, job as jobBody, shellTask } from "../cluster/client-helpers.js";

const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), "screenshots");
const WAIT_MS = 90_000;

const HCL = `job "ui-hello" {
  datacenters = ["dc1"]
  type = "service"
  group "web" {
    count = 1
    task "hello" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo hello-from-the-ui; echo oops-on-stderr >&2; exec sleep 600"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`;

const CANARY_UPDATE = {
  MaxParallel: 1,
  Canary: 1,
  AutoPromote: false,
  HealthCheck: "task_states",
  MinHealthyTime: 300e6,
  HealthyDeadline: 60e9,
  ProgressDeadline: 120e9,
};

function canaryJob(version: string): unknown {
  return jobBody("ui-canary", "service", [
    {
      Name: "web",
      Count: 1,
      Update: CANARY_UPDATE,
      Tasks: [shellTask("t", "exec sleep 600", { Env: { VERSION: version } })],
    },
  ]);
}

if (!existsSync(CHROMIUM)) {
  process.stderr.write(
    `test/ui: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run does)\n`,
  );
}

// The web UI in a real headless Chromium against a real three-server cluster with one real
// client running raw_exec tasks. Any console error or uncaught page error fails the test.
describe.skipIf(!existsSync(CHROMIUM))("web UI in Chromium", () => {
  let cluster: LocalCluster;
  let leader: ServerProcess;
  let client: AgentProcess;
  let nodeId: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  /** While a test answers 403 on purpose, Chromium's "Failed to load resource" line is expected. */
  let allowed403 = false;

  // Chromium aborts loads with ERR_NETWORK_CHANGED when the host's interfaces change (other
  // tests on a shared machine add and remove network namespaces); that is not the UI's fault.
  const NETWORK_CHANGED = "ERR_NETWORK_CHANGED";
  const open = async (route: string) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await page.goto(`${leader.httpUrl}/ui/${route}`);
        return;
      } catch (error) {
        if (attempt >= 3 || !String(error).includes(NETWORK_CHANGED)) throw error;
      }
    }
  };

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    cluster = await LocalCluster.start({ servers: 3 });
    leader = await cluster.waitForLeader(60_000);
    client = await cluster.addClient();
    nodeId = await clientNodeId(cluster, client);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(WAIT_MS);
    page.on("console", (msg) => {
      const expected =
        msg.text().includes(NETWORK_CHANGED) || (allowed403 && msg.text().includes("status of 403"));
      if (msg.type() === "error" && !expected)
        problems.push(`console: ${msg.text()} (${msg.location().url})`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  }, 180_000);

  afterEach(() => {
    expect(problems, "JavaScript errors in the page").toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  it("redirects / to the overview, which shows the servers with their leader", async () => {
    await open("../");
    expect(new URL(page.url()).pathname).toBe("/ui/");
    await page.getByRole("heading", { name: "Cluster overview" }).waitFor();
    const servers = page.getByRole("region", { name: "Servers" });
    await servers.locator("tbody tr").nth(2).waitFor();
    expect(await servers.locator("tbody tr").count()).toBe(3);
    expect(await servers.getByText("leader", { exact: true }).count()).toBe(1);
    await page.getByRole("region", { name: "Clients" }).getByText("ready").waitFor();
    await shot(page, "overview");
    // Dark mode follows the system's preference.
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const light = await background();
    await page.emulateMedia({ colorScheme: "dark" });
    expect(await background()).not.toBe(light);
    await shot(page, "overview-dark");
    await page.emulateMedia({ colorScheme: "light" });
    // Keyboard: the first Tab reaches the skip link, the next the navigation.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Overview");
  });

  it("runs a job from HCL (parse, plan with its diff, run) and watches its allocation turn running", async () => {
    await open("run");
    await page.getByLabel("Job HCL").fill(HCL);
    await page.getByRole("button", { name: "Plan" }).click();
    const diff = page.getByRole("list", { name: "Job diff" });
    await diff.waitFor();
    expect(await diff.textContent()).toContain("+ Job");
    await page.getByRole("region", { name: "Plan" }).getByText("1 place").waitFor();
    await shot(page, "run-job-plan");
    await page.getByRole("button", { name: "Run" }).click();
    await page.waitForURL(/\/ui\/jobs\/ui-hello\?namespace=default$/);
    await page.getByRole("heading", { name: /Job ui-hello/ }).waitFor();
    const allocs = page.getByRole("table", { name: "Allocations" });
    // Live: the page is not reloaded; the blocking query brings the new client status.
    await allocs.getByText("running", { exact: true }).waitFor();
    await shot(page, "job");

    await open("jobs");
    await page.getByRole("table", { name: "Jobs" }).getByRole("link", { name: "ui-hello" }).waitFor();
    await page.getByRole("searchbox").fill("no-such-job");
    await page.getByText("No jobs match.").waitFor();
    await page.getByRole("searchbox").fill("hello");
    await page.getByRole("table", { name: "Jobs" }).getByText("web 1/1").waitFor();
    await shot(page, "jobs");
  });

  it("opens the allocation and shows its task's stdout, then stderr", async () => {
    await open("jobs/ui-hello?namespace=default");
    await page.getByRole("table", { name: "Allocations" }).getByRole("link").first().click();
    await page.getByRole("heading", { name: /Allocation/ }).waitFor();
    const log = page.getByRole("region", { name: "hello stdout" });
    await log.getByText("hello-from-the-ui").waitFor();
    await page.getByLabel("stderr").check();
    await page.getByRole("region", { name: "hello stderr" }).getByText("oops-on-stderr").waitFor();
    await shot(page, "allocation");
  });

  it("promotes a canary from the job page", async () => {
    const register = async (version: string) => {
      const res = await cluster.http(leader, "POST", "/v1/jobs", canaryJob(version));
      expect(res.status).toBe(200);
    };
    await register("1");
    await open("jobs/ui-canary?namespace=default");
    const deployment = page.getByRole("region", { name: "Deployment" });
    await deployment.getByText("successful").waitFor();
    await register("2");
    const promote = deployment.getByRole("button", { name: "Promote canaries" });
    // Enabled once the deployment of version 1 waits with its canary placed.
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll("button")].some(
          (b) => b.textContent === "Promote canaries" && !b.disabled,
        ),
      undefined,
      { timeout: WAIT_MS },
    );
    await deployment.getByText("version 1").waitFor();
    await shot(page, "job-canary");
    await promote.click();
    await deployment.getByText("successful").waitFor();
    expect(await deployment.getByText("version 1").count()).toBe(1);
    await open("evaluations");
    await page.getByRole("cell", { name: "ui-canary" }).first().waitFor();
    await shot(page, "evaluations");
  });

  it("sends the saved ACL token as X-Nomad-Token and shows a 403 as a permission error", async () => {
    await open("jobs");
    await page.getByLabel("ACL token").fill("secret-of-the-ui-test");
    const [sent] = await Promise.all([
      page.waitForRequest((r) => new URL(r.url()).pathname === "/v1/jobs"),
      page.getByRole("button", { name: "Save" }).click(),
    ]);
    expect(sent.headers()["x-nomad-token"]).toBe("secret-of-the-ui-test");
    // This cluster runs without ACLs: the refusal an ACL-enabled agent gives is answered here by
    // the browser itself, to check what the page makes of it.
    allowed403 = true;
    await page.route(
      (url) => url.pathname === "/v1/jobs",
      (route) =>
        route.fulfill({
          status: 403,
          contentType: "application/json",
          body: '{"error":"Permission denied"}',
        }),
    );
    await open("jobs");
    await page.getByRole("alert").getByText("403 permission denied: Permission denied").waitFor();
    await shot(page, "jobs-403");
    await page.unrouteAll();
    allowed403 = false;
    await page.getByLabel("ACL token").fill("");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("table", { name: "Jobs" }).waitFor();
    expect(await page.evaluate(() => localStorage.getItem("drover.token"))).toBeNull();
  });

  it("drains the node from its page", async () => {
    // A group of two that migrates one at a time holds the drain open: its first alloc's
    // replacement has nowhere to go, so the second is never marked and the drain lasts until its
    // deadline. Without it the drain could end (and Drain turn false) before the checks below.
    const hold = jobBody("ui-drain-hold", "service", [
      { Name: "hold", Count: 2, Migrate: { MaxParallel: 1 }, Tasks: [shellTask("t", "exec sleep 600")] },
    ]);
    expect((await cluster.http(leader, "POST", "/v1/jobs", hold)).status).toBe(200);
    await jobAllocs(
      cluster,
      "ui-drain-hold",
      (allocs) => allocs.filter((a) => a.ClientStatus === "running").length === 2,
      "both allocs of ui-drain-hold to run",
    );
    await open("nodes");
    // The list's filters go to the agent: no node is down; the client is ready and found by name.
    await page.getByLabel("Status").selectOption("down");
    await page.getByText("No nodes match.").waitFor();
    await page.getByLabel("Status").selectOption("ready");
    await page.getByRole("searchbox").fill(client.name);
    await page.getByRole("table", { name: "Nodes" }).getByRole("link", { name: client.name }).click();
    await page.waitForURL(new RegExp(`/ui/nodes/${nodeId}$`));
    await page.getByRole("img", { name: /^Memory: \d+ of \d+ MB$/ }).waitFor();
    await page.getByRole("button", { name: "Drain node" }).click();
    await page.getByText(/draining since/).waitFor();
    const node = (
      await cluster.http<{ Drain: boolean; SchedulingEligibility: string }>(
        leader,
        "GET",
        `/v1/node/${nodeId}`,
      )
    ).body;
    expect(node.Drain).toBe(true);
    expect(node.SchedulingEligibility).toBe("ineligible");
    await shot(page, "node-draining");
    await page.getByRole("button", { name: "Stop drain" }).click();
    await page.getByRole("button", { name: "Drain node" }).waitFor();
    await open("variables");
    await page.getByRole("heading", { name: "Variables" }).waitFor();
    await shot(page, "variables");
  });
});

// The same UI against an agent with ACLs on: the pages load without a token (they are static
// files), the API behind them refuses an anonymous request with a real 403, and a saved token
// opens the lists.
describe.skipIf(!existsSync(CHROMIUM))("web UI in Chromium with ACLs on", () => {
  let cluster: LocalCluster;
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  let management = "";
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    cluster = await LocalCluster.start({ servers: 1, extraArgs: ["--acl-enabled"] });
    server = await cluster.waitForLeader(60_000);
    const boot = await cluster.http<{ SecretID: string }>(server, "POST", "/v1/acl/bootstrap");
    expect(boot.status).toBe(200);
    management = boot.body.SecretID;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(WAIT_MS);
    page.on("console", (msg) => {
      // The anonymous request's refusal is logged by Chromium as a failed resource load.
      if (msg.type() === "error" && !msg.text().includes("status of 403"))
        problems.push(`console: ${msg.text()} (${msg.location().url})`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  }, 180_000);

  afterEach(() => {
    expect(problems, "JavaScript errors in the page").toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  it("shows the agent's own 403 without a token, and the jobs with a management token", async () => {
    await page.goto(`${server.httpUrl}/ui/jobs`);
    const alert = page.getByRole("alert").getByText(/403 permission denied: .*missing capability list-jobs/);
    await alert.waitFor();
    await shot(page, "jobs-acl-403");
    await page.getByLabel("ACL token").fill(management);
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("table", { name: "Jobs" }).waitFor();
    expect(await page.evaluate(() => localStorage.getItem("drover.token"))).toBe(management);
  });
});

/** A full-page screenshot into test/ui/screenshots/<name>.png, for a person to look at. */
async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
