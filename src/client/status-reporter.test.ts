import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../common/log.js";
import type { AllocClientStatus } from "../fsm/index.js";
import type { AllocClientFields } from "../rpc/server-api.js";
import { deferred, FakeCluster, unavailableError } from "./servers/fake-servers.test-support.js";
import { ServerList } from "./servers/server-list.js";
import { StatusReporter } from "./status-reporter.js";

const NODE = "node-1";
const SECRET = "secret-1";

function fields(id: string, status: AllocClientStatus, description = ""): AllocClientFields {
  return { ID: id, NodeID: NODE, ClientStatus: status, ClientDescription: description };
}

function setup(addresses = ["a:1", "b:1"]) {
  const cluster = new FakeCluster();
  const servers = new ServerList(addresses, silentLogger(), { connect: cluster.connect });
  const reporter = new StatusReporter({ servers, nodeId: NODE, secretId: SECRET, logger: silentLogger() });
  /** What each accepted update carried, as "id:status". */
  const batches = (): string[][] =>
    cluster.allocUpdates.map((u) => u.allocs.map((a) => `${a.ID}:${a.ClientStatus}`));
  return { cluster, servers, reporter, batches };
}

describe("StatusReporter", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends the changes of one window in one update, with the latest fields of each allocation", async () => {
    const { cluster, reporter, batches } = setup();
    reporter.queue(fields("a", "pending"));
    reporter.queue(fields("b", "running"));
    reporter.queue(fields("a", "running"));
    await vi.advanceTimersByTimeAsync(199);
    expect(batches()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches()).toEqual([["a:running", "b:running"]]);
    expect(cluster.allocUpdates[0]?.nodeSecrets).toEqual({ [NODE]: SECRET });
    expect(reporter.reportsSent).toBe(2);

    // A later change goes in a batch of its own.
    reporter.queue(fields("b", "complete"));
    await vi.advanceTimersByTimeAsync(200);
    expect(batches()).toEqual([["a:running", "b:running"], ["b:complete"]]);
    reporter.close();
  });

  it("sends through the next server when the current one is down", async () => {
    const { cluster, servers, reporter } = setup();
    cluster.server("a:1").down = true;
    reporter.queue(fields("a", "running"));
    await vi.advanceTimersByTimeAsync(200);
    expect(cluster.allocUpdates.map((u) => u.server)).toEqual(["b:1"]);
    expect(servers.currentAddress()).toBe("b:1");
    reporter.close();
  });

  it("keeps what failed, lets a newer version of an allocation win, and retries through the next server", async () => {
    const { cluster, reporter, batches } = setup();
    const answer = deferred<number>();
    cluster.server("a:1").override("allocClientUpdate", () => answer.promise);
    cluster.server("b:1").down = true;
    reporter.queue(fields("a", "pending"));
    reporter.queue(fields("b", "running"));
    await vi.advanceTimersByTimeAsync(200);
    // While that update is out, allocation a moves on; b does not.
    reporter.queue(fields("a", "running"));
    answer.reject(unavailableError("a:1"));
    await vi.advanceTimersByTimeAsync(0);
    expect(cluster.callsOf("allocClientUpdate")).toEqual(["a:1", "b:1"]);
    expect(reporter.reportsSent).toBe(0);

    cluster.server("b:1").down = false;
    await vi.advanceTimersByTimeAsync(10_000);
    // The retry starts where the failed attempt left off (a:1, still failing) and moves on to b:1.
    expect(cluster.callsOf("allocClientUpdate")).toEqual(["a:1", "b:1", "a:1", "b:1"]);
    expect(batches()).toEqual([["a:running", "b:running"]]);
    expect(reporter.reportsSent).toBe(2);
    reporter.close();
  });

  it("flush() sends what is queued at once", async () => {
    const { reporter, batches } = setup();
    reporter.queue(fields("a", "running"));
    await reporter.flush();
    expect(batches()).toEqual([["a:running"]]);
    // Nothing left to send later.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(batches()).toHaveLength(1);
    reporter.close();
  });

  it("flush() waits for the update in flight, then sends what came after it", async () => {
    const { cluster, reporter } = setup();
    const sent: string[][] = [];
    const first = deferred<number>();
    cluster.server("a:1").override("allocClientUpdate", (allocs) => {
      sent.push(allocs.map((a) => `${a.ID}:${a.ClientStatus}`));
      return sent.length === 1 ? first.promise : Promise.resolve(sent.length);
    });
    reporter.queue(fields("a", "pending"));
    await vi.advanceTimersByTimeAsync(200);
    reporter.queue(fields("a", "running"));
    let flushed = false;
    const flushing = reporter.flush().then(() => {
      flushed = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([["a:pending"]]);
    expect(flushed).toBe(false);
    first.resolve(1);
    await flushing;
    expect(sent).toEqual([["a:pending"], ["a:running"]]);
    reporter.close();
  });

  it("never has two updates out at once, even while flushing (a later one could land first)", async () => {
    const { cluster, reporter } = setup();
    const answers: Array<(index: number) => void> = [];
    const sent: string[][] = [];
    cluster.server("a:1").override("allocClientUpdate", (allocs) => {
      sent.push(allocs.map((a) => `${a.ID}:${a.ClientStatus}`));
      const answer = deferred<number>();
      answers.push(answer.resolve);
      return answer.promise;
    });
    reporter.queue(fields("a", "running"));
    const flushing = reporter.flush();
    reporter.queue(fields("a", "complete"));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent).toEqual([["a:running"]]);
    answers[0]?.(1);
    await flushing;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent).toEqual([["a:running"], ["a:complete"]]);
    answers[1]?.(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(reporter.reportsSent).toBe(2);
    reporter.close();
  });

  it("close() drops what is queued afterwards and leaves no timer", async () => {
    const { reporter, batches } = setup();
    reporter.queue(fields("a", "running"));
    reporter.close();
    reporter.queue(fields("b", "running"));
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(batches()).toEqual([]);
    // Only what was queued before close() is still there to flush.
    await reporter.flush();
    expect(batches()).toEqual([["a:running"]]);
  });
});
