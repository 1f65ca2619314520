import type { EventType, HistoryEvent, RegisterOp } from "./history.js";
import { ledgerScript } from "./ledger.js";
import type { Prng } from "./prng.js";

/** A server the workload may send a request to (its URL stays known while it is down). */
export interface Target {
  readonly name: string;
  readonly url: string;
}

/** What one request ended as: ok, a definite refusal (fail), or unknown (info). */
interface Outcome {
  type: Exclude<EventType, "invoke">;
  status: number;
  body: unknown;
  error?: string;
}

/**
 * One HTTP request, never retried. A refused connection never reached the server (fail); a
 * timeout, a reset or a 5xx may have taken effect (info); 409 and other 4xx are refusals (fail).
 */
async function request(url: string, method: string, body: unknown, timeoutMs: number): Promise<Outcome> {
  try {
    const res = await fetch(url, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === "" ? null : JSON.parse(text);
    } catch {
      // Not JSON: keep the text for the report.
    }
    if (res.status >= 200 && res.status < 300) return { type: "ok", status: res.status, body: parsed };
    const error = `HTTP ${res.status} ${typeof parsed === "object" && parsed !== null ? JSON.stringify(parsed).slice(0, 120) : String(parsed).slice(0, 120)}`;
    if (res.status >= 400 && res.status < 500)
      return { type: "fail", status: res.status, body: parsed, error };
    return { type: "info", status: res.status, body: parsed, error };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const name = (error as Error).name;
    const text = cause ?? name ?? String(error);
    return { type: cause === "ECONNREFUSED" ? "fail" : "info", status: 0, body: null, error: text };
  }
}

export interface WorkloadContext {
  readonly targets: readonly Target[];
  readonly t0: bigint;
  readonly timeoutMs: number;
  /** Set when the run's workload phase ends; workers finish their current request and return. */
  stopped: boolean;
  readonly history: HistoryEvent[];
  readonly jobOps: JobOp[];
  /** Variable keys in use: a new generation every `keyEpochMs`, so each key's history stays short. */
  readonly keyEpochMs: number;
  readonly keysPerEpoch: number;
  readonly ledger: string;
  readonly keysUsed: Set<string>;
}

function now(ctx: WorkloadContext): number {
  return Number(process.hrtime.bigint() - ctx.t0);
}

function record(ctx: WorkloadContext, event: HistoryEvent): void {
  ctx.history.push(event);
}

const think = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A variable client: reads, writes, compare-and-sets and deletes variables at random servers.
 * Every write carries a value never written before (`<process>-<counter>`). A CAS uses the
 * ModifyIndex of this client's last read of the key, so it expects the value that read returned.
 */
export async function varWorker(ctx: WorkloadContext, process: number, rng: Prng): Promise<void> {
  let counter = 0;
  const lastRead = new Map<string, { value: string | null; index: number }>();
  while (!ctx.stopped) {
    const epoch = Math.floor(now(ctx) / 1e6 / ctx.keyEpochMs);
    const key = `chaos/e${epoch}/k${rng.int(0, ctx.keysPerEpoch - 1)}`;
    ctx.keysUsed.add(key);
    const target = rng.pick(ctx.targets);
    const url = `${target.url}/v1/var/${key}`;
    const roll = rng.next();
    const known = lastRead.get(key);
    let op: RegisterOp;
    if (roll < 0.4 || (roll < 0.65 && known === undefined)) op = { f: "read", key, value: null };
    else if (roll < 0.65)
      op = { f: "cas", key, expect: known?.value ?? null, value: `${process}-${++counter}` };
    else if (roll < 0.92) op = { f: "write", key, value: `${process}-${++counter}` };
    else op = { f: "delete", key };
    record(ctx, { process, type: "invoke", op, time: now(ctx), server: target.name });
    let outcome: Outcome;
    switch (op.f) {
      case "read":
        outcome = await request(url, "GET", undefined, ctx.timeoutMs);
        if (outcome.type === "fail" && outcome.status === 404) {
          outcome = { ...outcome, type: "ok" };
          lastRead.set(key, { value: null, index: 0 });
          op = { ...op, value: null };
        } else if (outcome.type === "ok") {
          const variable = outcome.body as { Items?: { v?: string }; ModifyIndex?: number };
          const value = variable.Items?.v ?? null;
          lastRead.set(key, { value, index: variable.ModifyIndex ?? 0 });
          op = { ...op, value };
        }
        break;
      case "write":
        outcome = await request(url, "PUT", { Path: key, Items: { v: op.value } }, ctx.timeoutMs);
        break;
      case "cas":
        outcome = await request(
          `${url}?cas=${known?.index ?? 0}`,
          "PUT",
          { Path: key, Items: { v: op.value } },
          ctx.timeoutMs,
        );
        break;
      case "delete":
        outcome = await request(url, "DELETE", undefined, ctx.timeoutMs);
        break;
    }
    if (op.f !== "read") lastRead.delete(key);
    record(ctx, {
      process,
      type: outcome.type,
      op,
      time: now(ctx),
      server: target.name,
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
    });
    await think(rng.int(5, 40));
  }
}

/** What a job should look like on the servers after an operation. */
export interface JobState {
  live: boolean;
  count: number;
  version: number;
}

export interface JobOp {
  process: number;
  jobId: string;
  kind: "register" | "update" | "scale" | "stop";
  /** The state the operation asks for. */
  target: JobState;
  outcome: Exclude<EventType, "invoke">;
  invokeNs: number;
  completeNs: number;
  error?: string;
}

export function jobBody(jobId: string, state: JobState, ledger: string): unknown {
  return {
    Job: {
      ID: jobId,
      Type: "service",
      Datacenters: ["dc1"],
      TaskGroups: [
        {
          Name: "g",
          Count: state.count,
          RestartPolicy: { Attempts: 2, Interval: 60e9, Delay: 1e9, Mode: "delay" },
          Tasks: [
            {
              Name: "t",
              Driver: "raw_exec",
              Config: { command: "/bin/sh", args: ["-c", ledgerScript(ledger)] },
              // biome-ignore lint/suspicious/noTemplateCurlyInString: Nomad interpolation, resolved by the client
              Env: { CHAOS_NODE: "${node.unique.name}", CHAOS_VERSION: String(state.version) },
              Resources: { CPU: 100, MemoryMB: 64 },
              KillTimeout: 3e9,
            },
          ],
        },
      ],
    },
  };
}

/**
 * A job client: owns its jobs (`chaos-<process>-<n>`) and changes each with one operation at a
 * time (register, update the task's env, scale the group, stop), so what each job must end as
 * follows from its operations' outcomes alone.
 */
export async function jobWorker(
  ctx: WorkloadContext,
  process: number,
  rng: Prng,
  maxJobs: number,
): Promise<void> {
  const believed = new Map<string, JobState>();
  let next = 0;
  while (!ctx.stopped) {
    const target = rng.pick(ctx.targets);
    const live = [...believed.entries()].filter(([, s]) => s.live);
    const roll = rng.next();
    let jobId: string;
    let kind: JobOp["kind"];
    let state: JobState;
    if (live.length < maxJobs && (live.length === 0 || roll < 0.3)) {
      jobId = `chaos-${process}-${next++}`;
      kind = "register";
      state = { live: true, count: rng.int(1, 3), version: 1 };
    } else {
      const [id, current] = rng.pick(live.length > 0 ? live : [...believed.entries()]);
      jobId = id;
      if (roll < 0.55) {
        kind = "update";
        state = { live: true, count: current.count, version: current.version + 1 };
      } else if (roll < 0.85 && current.live) {
        kind = "scale";
        state = { ...current, count: rng.int(1, 3) };
      } else {
        kind = "stop";
        state = { ...current, live: false };
      }
    }
    const invokeNs = now(ctx);
    let outcome: Outcome;
    if (kind === "register" || kind === "update") {
      outcome = await request(
        `${target.url}/v1/jobs`,
        "POST",
        jobBody(jobId, state, ctx.ledger),
        ctx.timeoutMs,
      );
    } else if (kind === "scale") {
      outcome = await request(
        `${target.url}/v1/job/${jobId}/scale`,
        "POST",
        { Count: state.count, Target: { Group: "g" } },
        ctx.timeoutMs,
      );
    } else {
      outcome = await request(`${target.url}/v1/job/${jobId}`, "DELETE", undefined, ctx.timeoutMs);
    }
    ctx.jobOps.push({
      process,
      jobId,
      kind,
      target: state,
      outcome: outcome.type,
      invokeNs,
      completeNs: now(ctx),
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
    });
    // Only an acknowledged operation moves this client's belief; after an unknown outcome the
    // next operation on the job settles it either way.
    if (outcome.type === "ok") believed.set(jobId, state);
    else if (outcome.type === "info" && !believed.has(jobId)) believed.set(jobId, state);
    await think(rng.int(300, 1200));
  }
}

/**
 * Every state a job may be in after its operations. An ok operation took effect between its
 * invocation and its answer; a failed one never did; one with an unknown outcome (info) may take
 * effect at any later moment, after operations that came later too (a request that timed out at
 * the client can still be applied by the leader), or never. Operations on one job are sequential
 * (one owner), so the only freedom is where the pending unknown ones land.
 */
export function acceptableJobStates(ops: readonly JobOp[]): Array<JobState | undefined> {
  interface World {
    state: JobState | undefined;
    /** Indexes into ops of unknown-outcome operations not applied yet. */
    pending: number[];
  }
  const key = (w: World) => JSON.stringify([w.state ?? null, w.pending]);
  const dedupe = (worlds: World[]): World[] => {
    const seen = new Map<string, World>();
    for (const w of worlds) seen.set(key(w), w);
    return [...seen.values()];
  };
  /** Every world reachable by applying some of the pending operations, in any order. */
  const closure = (worlds: World[]): World[] => {
    const all = new Map<string, World>(worlds.map((w) => [key(w), w]));
    const queue = [...all.values()];
    while (queue.length > 0) {
      const w = queue.pop() as World;
      for (const p of w.pending) {
        const next = {
          state: applyJobOp(w.state, ops[p] as JobOp),
          pending: w.pending.filter((q) => q !== p),
        };
        if (!all.has(key(next))) {
          all.set(key(next), next);
          queue.push(next);
        }
      }
    }
    return [...all.values()];
  };
  let worlds: World[] = [{ state: undefined, pending: [] }];
  for (const [i, op] of ops.entries()) {
    if (op.outcome === "fail") continue;
    worlds = closure(worlds);
    if (op.outcome === "ok") worlds = worlds.map((w) => ({ ...w, state: applyJobOp(w.state, op) }));
    else worlds = worlds.map((w) => ({ ...w, pending: [...w.pending, i] }));
    worlds = dedupe(worlds);
  }
  const finals = new Map<string, JobState | undefined>();
  for (const w of closure(worlds)) finals.set(JSON.stringify(w.state ?? null), w.state);
  return [...finals.values()];
}

function applyJobOp(state: JobState | undefined, op: JobOp): JobState | undefined {
  switch (op.kind) {
    case "register":
    case "update":
      return { ...op.target };
    case "scale":
      // Scaling a job that does not exist changes nothing.
      return state === undefined ? undefined : { ...state, count: op.target.count };
    case "stop":
      return state === undefined ? undefined : { ...state, live: false };
  }
}
