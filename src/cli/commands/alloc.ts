import { once } from "node:events";
import { Command } from "commander";
import {
  type Allocation,
  type AllocStub,
  ApiError,
  type DroverClient,
  type TaskState,
} from "../http-client.js";
import { ago, CliError, formatTime, json, keyValues, shortId, table } from "../output.js";
import {
  action,
  clientFor,
  type GlobalFlags,
  intFlag,
  orNotFound,
  resolvePrefix,
  withGlobals,
  write,
} from "./common.js";
import { monitorEvalOnly } from "./monitor.js";

/** `drover alloc status|logs|stop`: one allocation's state, its tasks' output, stopping it. */

/** Nomad's allocation table (job status, job allocs, node status). */
export function allocTable(
  allocs: readonly AllocStub[],
  options: { verbose?: boolean; nowMs?: number; node?: boolean } = {},
): string {
  const verbose = options.verbose ?? false;
  const sorted = [...allocs].sort((a, b) => b.CreateIndex - a.CreateIndex);
  const when = (ns: number): string => (verbose ? formatTime(ns) : ago(ns, options.nowMs));
  const headers = options.node
    ? ["ID", "Job ID", "Task Group", "Version", "Desired", "Status", "Created", "Modified"]
    : ["ID", "Node ID", "Task Group", "Version", "Desired", "Status", "Created", "Modified"];
  return table(
    headers,
    sorted.map((a) => [
      shortId(a.ID, verbose),
      options.node ? a.JobID : shortId(a.NodeID, verbose),
      a.TaskGroup,
      a.JobVersion,
      a.DesiredStatus,
      a.ClientStatus,
      when(a.CreateTime),
      when(a.ModifyTime),
    ]),
  );
}

/** The full ID of an allocation from a unique prefix. */
export function resolveAllocId(client: DroverClient, id: string, verbose = false): Promise<string> {
  return resolvePrefix(
    "allocation",
    id,
    (prefix) => client.allocations(prefix),
    (candidates) => allocTable(candidates, { verbose }),
  );
}

/** What an event says in `alloc status` (Nomad shows the exit code of a termination). */
export function eventDescription(event: TaskState["Events"][number]): string {
  const text = event.DisplayMessage !== "" ? event.DisplayMessage : event.Message;
  if (event.Type === "Terminated" && !/exit code/i.test(text)) {
    const details = [`Exit Code: ${event.ExitCode}`];
    if (event.Signal !== 0) details.push(`Signal: ${event.Signal}`);
    if (text !== "") details.push(text);
    return details.join(", ");
  }
  return text;
}

/** `drover alloc status` as text. `nowMs` for tests. */
export function formatAllocStatus(
  alloc: Allocation,
  options: { verbose?: boolean; nowMs?: number; events?: number } = {},
): string {
  const verbose = options.verbose ?? false;
  const when = (ns: number): string => (verbose ? formatTime(ns) : ago(ns, options.nowMs));
  const out: string[] = [
    keyValues([
      ["ID", shortId(alloc.ID, verbose)],
      ["Eval ID", shortId(alloc.EvalID, verbose)],
      ["Name", alloc.Name],
      ["Node ID", shortId(alloc.NodeID, verbose)],
      ["Node Name", alloc.NodeName],
      ["Job ID", alloc.JobID],
      ["Job Version", alloc.JobVersion],
      ["Client Status", alloc.ClientStatus],
      ["Client Description", alloc.ClientDescription],
      ["Desired Status", alloc.DesiredStatus],
      ["Desired Description", alloc.DesiredDescription],
      ["Created", when(alloc.CreateTime)],
      ["Modified", when(alloc.ModifyTime)],
      ...(alloc.DeploymentStatus?.Healthy === null || alloc.DeploymentStatus === null
        ? []
        : ([["Deployment Health", alloc.DeploymentStatus.Healthy ? "healthy" : "unhealthy"]] as const)),
      ...(alloc.NextAllocation === ""
        ? []
        : ([["Replacement Alloc ID", shortId(alloc.NextAllocation, verbose)]] as const)),
    ]),
  ];
  const states = alloc.TaskStates ?? {};
  const names = Object.keys(states).sort();
  if (names.length === 0) out.push("", "No task has started yet.");
  for (const name of names) {
    const state = states[name] as TaskState;
    out.push("", `Task "${name}" is "${state.State}"${state.Failed ? " (failed)" : ""}`);
    const resources = alloc.AllocatedResources?.Tasks?.[name];
    if (resources !== undefined) {
      out.push(
        "Task Resources:",
        table(
          ["CPU", "Memory"],
          [[`${resources.Cpu.CpuShares} MHz`, `${resources.Memory.MemoryMB} MiB`]],
        ).replace(/^/gm, "  "),
      );
    }
    if (state.Restarts > 0) out.push(`Restarts: ${state.Restarts}`);
    const events = [...state.Events].sort((a, b) => b.Time - a.Time).slice(0, options.events ?? 10);
    if (events.length > 0) {
      out.push(
        "Recent Events:",
        table(
          ["Time", "Type", "Description"],
          events.map((e) => [formatTime(e.Time), e.Type, eventDescription(e)]),
        ),
      );
    }
  }
  return out.join("\n");
}

export interface StatusFlags extends GlobalFlags {
  verbose?: boolean;
}

export async function allocStatus(allocArg: string, flags: StatusFlags): Promise<number> {
  const client = clientFor(flags);
  const id = await resolveAllocId(client, allocArg, flags.verbose);
  const detail = await orNotFound(() => client.allocation(id), `No allocation with ID ${allocArg}`);
  write(flags.json ? json(detail) : formatAllocStatus(detail, { verbose: flags.verbose ?? false }));
  return 0;
}

interface LogsFlags extends GlobalFlags {
  stderr?: boolean;
  f?: boolean;
  tail?: boolean;
  n?: string;
  c?: string;
  task?: string;
}

/** The task a log request is for: the one given, or the only one the allocation has. */
async function pickTask(client: DroverClient, alloc: Allocation, given: string | undefined): Promise<string> {
  let tasks = Object.keys(alloc.TaskStates ?? {});
  if (tasks.length === 0) {
    const job = await client.job(alloc.JobID).catch(() => undefined);
    tasks = job?.TaskGroups.find((g) => g.Name === alloc.TaskGroup)?.Tasks.map((t) => t.Name) ?? [];
  }
  tasks.sort();
  if (given !== undefined) {
    if (tasks.length > 0 && !tasks.includes(given)) {
      throw new CliError(
        `Allocation ${shortId(alloc.ID)} has no task "${given}"; its tasks: ${tasks.join(", ")}`,
      );
    }
    return given;
  }
  if (tasks.length === 1) return tasks[0] as string;
  if (tasks.length === 0)
    throw new CliError(`Allocation ${shortId(alloc.ID)} has no tasks yet; name the task`);
  throw new CliError(
    `Allocation ${shortId(alloc.ID)} has ${tasks.length} tasks (${tasks.join(", ")}); name the one to read`,
  );
}

async function collectBytes(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * Where the last `lines` lines of `buf` start (a trailing newline does not open an empty line);
 * -1 when `buf` holds fewer lines than that.
 */
export function lastLinesStart(buf: Uint8Array, lines: number): number {
  if (lines <= 0) return buf.length;
  let end = buf.length;
  if (end > 0 && buf[end - 1] === 0x0a) end--;
  let seen = 0;
  for (let i = end - 1; i >= 0; i--) {
    if (buf[i] === 0x0a) {
      seen++;
      if (seen === lines) return i + 1;
    }
  }
  return -1;
}

const MAX_TAIL_PROBE = 64 * 1024 * 1024;

/** How many bytes before the end the last `lines` lines take (read back in growing windows). */
async function tailBytes(
  client: DroverClient,
  allocId: string,
  task: string,
  type: "stdout" | "stderr",
  lines: number,
): Promise<{ bytes: number; text: Buffer }> {
  for (let window = 16 * 1024; ; window *= 4) {
    const buf = await collectBytes(
      await client.logs(allocId, { task, type, follow: false, origin: "end", offset: window }),
    );
    const start = lastLinesStart(buf, lines);
    if (start >= 0 || buf.length < window || window >= MAX_TAIL_PROBE) {
      const from = Math.max(0, start);
      return { bytes: buf.length - from, text: buf.subarray(from) };
    }
  }
}

async function writeOut(chunk: Uint8Array): Promise<void> {
  if (!process.stdout.write(chunk)) await once(process.stdout, "drain");
}

async function allocLogs(allocArg: string, taskArg: string | undefined, flags: LogsFlags): Promise<number> {
  const client = clientFor(flags);
  const id = await resolveAllocId(client, allocArg);
  const alloc = await orNotFound(() => client.allocation(id), `No allocation with ID ${allocArg}`);
  const task = await pickTask(client, alloc, taskArg ?? flags.task);
  const type = flags.stderr ? "stderr" : "stdout";
  const bytes = intFlag(flags.c, "-c");
  const lines = intFlag(flags.n, "-n");
  const tail = flags.tail === true || bytes !== undefined || lines !== undefined;
  const follow = flags.f === true;
  let origin: "start" | "end" = "start";
  let offset = 0;
  if (tail) {
    origin = "end";
    if (bytes !== undefined) offset = bytes;
    else {
      const found = await tailBytes(client, id, task, type, lines ?? 10);
      if (!follow) {
        await writeOut(found.text);
        return 0;
      }
      offset = found.bytes;
    }
  }
  // Ctrl-C ends a follow cleanly; a closed pipe (`| head`) ends it too.
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  process.stdout.on("error", stop);
  try {
    const stream = await client.logs(id, { task, type, follow, origin, offset, signal: controller.signal });
    for await (const chunk of stream) {
      if (controller.signal.aborted) break;
      await writeOut(chunk);
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
  return 0;
}

export function addAllocCommands(program: Command): void {
  const alloc = new Command("alloc").description("interact with allocations");

  withGlobals(alloc.command("status"))
    .description("show an allocation's status, its tasks' states and recent events")
    .argument("<alloc>", "allocation ID or unique prefix")
    .option("--verbose", "full IDs and exact times")
    .action(action(allocStatus));

  withGlobals(alloc.command("logs"), { json: false })
    .description("print a task's stdout (or stderr), whole, its tail, or followed")
    .argument("<alloc>", "allocation ID or unique prefix")
    .argument("[task]", "task name (optional when the allocation has one task)")
    .option("--task <name>", "task name")
    .option("--stderr", "read stderr instead of stdout")
    .option("-f, --follow", "keep printing as the task writes")
    .option("--tail", "start from the end (the last 10 lines unless -n or -c)")
    .option("-n <lines>", "with -tail: the last N lines")
    .option("-c <bytes>", "with -tail: the last N bytes")
    .action(
      action(async (allocArg: string, task: string | undefined, flags: LogsFlags & { follow?: boolean }) =>
        allocLogs(allocArg, task, { ...flags, f: flags.follow ?? false }),
      ),
    );

  withGlobals(alloc.command("stop"))
    .description("stop an allocation; the scheduler places a replacement where the job needs one")
    .argument("<alloc>", "allocation ID or unique prefix")
    .option("--detach", "return without following the evaluation")
    .option("--verbose", "full IDs")
    .action(action(allocStop));

  program.addCommand(alloc);
}

interface StopFlags extends GlobalFlags {
  detach?: boolean;
  verbose?: boolean;
}

async function allocStop(allocArg: string, flags: StopFlags): Promise<number> {
  const client = clientFor(flags);
  const verbose = flags.verbose ?? false;
  const id = await resolveAllocId(client, allocArg, verbose);
  let answer: { EvalID: string; Index: number };
  try {
    answer = (
      await client.request<{ EvalID: string; Index: number }>(
        "POST",
        `/v1/allocation/${encodeURIComponent(id)}/stop`,
      )
    ).body;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 400 || error.status === 404)) {
      const detail = (error.body as { error?: string } | null)?.error ?? error.message;
      throw new CliError(`Error stopping allocation: ${detail}`);
    }
    throw error;
  }
  if (flags.json) {
    write(json(answer));
    return 0;
  }
  write(`Allocation "${shortId(id, verbose)}" stopped`);
  if (flags.detach) {
    write(`Evaluation ID: ${answer.EvalID}`);
    return 0;
  }
  return monitorEvalOnly({ client, evalId: answer.EvalID, tty: false, verbose });
}
