import { readFile, stat } from "node:fs/promises";
import { Command } from "commander";
import { MAX_JOB_FILE_BYTES } from "../../common/limits.js";
import type { DroverClient, Evaluation, Job, JobStub, JobSummary } from "../http-client.js";
import { ApiError } from "../http-client.js";
import { CliError, formatTime, json, keyValues, placementFailures, table } from "../output.js";
import { formatPlan } from "../plan-output.js";
import { allocTable } from "./alloc.js";
import {
  action,
  clientFor,
  collect,
  errorMessage,
  type GlobalFlags,
  intFlag,
  isNotFound,
  keyValues as parseKeyValues,
  warn,
  withGlobals,
  write,
} from "./common.js";
import { type Deployment, deploymentsTable, followDeployment } from "./deployment.js";
import { monitorEvalOnly, monitorJob } from "./monitor.js";

/**
 * `drover job run|status|stop|inspect|validate|dispatch|allocs|history|revert|scale|deployments|eval`.
 */

interface FileFlags {
  var?: string[];
  varFile?: string[];
}

interface RunFlags extends GlobalFlags, FileFlags {
  detach?: boolean;
  checkIndex?: string;
  verbose?: boolean;
}

async function readInput(file: string): Promise<string> {
  const tooBig = (): CliError =>
    new CliError(`Error reading job file ${file}: larger than ${MAX_JOB_FILE_BYTES} bytes`);
  try {
    if (file === "-") {
      const chunks: Buffer[] = [];
      let bytes = 0;
      for await (const chunk of process.stdin) {
        chunks.push(Buffer.from(chunk as Buffer));
        bytes += (chunk as Buffer).length;
        if (bytes > MAX_JOB_FILE_BYTES) throw tooBig();
      }
      return Buffer.concat(chunks).toString("utf8");
    }
    if ((await stat(file)).size > MAX_JOB_FILE_BYTES) throw tooBig();
    return await readFile(file, "utf8");
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as { code?: string }).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (error as Error).message;
    throw new CliError(`Error reading job file ${file}: ${why}`);
  }
}

/**
 * A job file parsed and validated locally: HCL through src/jobspec (errors at `file:line,col`),
 * or the JSON API form (`{"Job": {…}}` or the job object itself; errors at `file: Job.path`).
 * `submit` is what to send as the request's Job.
 */
export async function loadJobFile(
  file: string,
  flags: FileFlags,
): Promise<{ job: Job; submit: unknown; warnings: string[] }> {
  const text = await readInput(file);
  // The job spec code is loaded only by the commands that read job files.
  const { parseJobHcl, jobFromApiInput, JobSpecError } = await import("../../jobspec/index.js");
  const name = file === "-" ? "<stdin>" : file;
  const isJson = /\.json$/i.test(file) || (file === "-" && text.trimStart().startsWith("{"));
  try {
    if (isJson) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new CliError(`${name}: invalid JSON: ${(error as Error).message}`);
      }
      const input =
        typeof parsed === "object" && parsed !== null && "Job" in parsed
          ? (parsed as { Job: unknown }).Job
          : parsed;
      const { job, warnings } = jobFromApiInput(input, 0);
      return { job, submit: input, warnings };
    }
    const parsed = await parseJobHcl(text, name, { vars: flags.var ?? [], varFiles: flags.varFile ?? [] });
    return { job: parsed.job, submit: parsed.job, warnings: parsed.warnings };
  } catch (error) {
    if (error instanceof CliError) throw error;
    if (error instanceof JobSpecError || (error as Error).name === "ValidationError") {
      const message = (error as Error).message;
      throw new CliError(isJson ? `${name}: ${message}` : message);
    }
    throw error;
  }
}

/** Nomad's jobs list. */
export function jobsTable(jobs: readonly JobStub[]): string {
  return table(
    ["ID", "Type", "Priority", "Status", "Submit Date"],
    [...jobs]
      .sort((a, b) => a.ID.localeCompare(b.ID))
      .map((j) => [j.ID, j.Type, j.Priority, jobStatusWord(j), formatTime(j.SubmitTime)]),
  );
}

function jobStatusWord(job: Pick<Job, "Status" | "Stop">): string {
  return job.Stop && job.Status === "dead" ? "dead (stopped)" : job.Status;
}

/** The placement failures of a job still waiting for capacity (its latest eval that failed to place). */
export function outstandingFailures(evals: readonly Evaluation[]): Evaluation | undefined {
  const blocked = evals.some((e) => e.Status === "blocked");
  if (!blocked) return undefined;
  return [...evals]
    .filter((e) => Object.keys(e.FailedTGAllocs ?? {}).length > 0)
    .sort((a, b) => b.CreateIndex - a.CreateIndex)[0];
}

export function formatJobStatus(
  job: Job,
  summary: JobSummary | undefined,
  allocs: Parameters<typeof allocTable>[0],
  evals: readonly Evaluation[],
  options: { verbose?: boolean; nowMs?: number } = {},
): string {
  const out: string[] = [
    keyValues([
      ["ID", job.ID],
      ["Name", job.Name],
      ["Submit Date", formatTime(job.SubmitTime)],
      ["Type", job.Type],
      ["Priority", job.Priority],
      ["Datacenters", job.Datacenters.join(",")],
      ["Namespace", job.Namespace],
      ["Node Pool", job.NodePool],
      ["Status", jobStatusWord(job)],
      ["Periodic", job.Periodic !== null],
      ["Parameterized", job.ParameterizedJob !== null],
    ]),
  ];
  if (summary !== undefined) {
    const groups = Object.keys(summary.Summary).sort();
    out.push(
      "",
      "Summary",
      table(
        ["Task Group", "Queued", "Starting", "Running", "Failed", "Complete", "Lost", "Unknown"],
        groups.map((g) => {
          const s = summary.Summary[g]!;
          return [g, s.Queued, s.Starting, s.Running, s.Failed, s.Complete, s.Lost, s.Unknown];
        }),
      ),
    );
    const children = summary.Children;
    if (job.Periodic !== null || job.ParameterizedJob !== null) {
      out.push(
        "",
        "Children Job Summary",
        table(["Pending", "Running", "Dead"], [[children.Pending, children.Running, children.Dead]]),
      );
    }
  }
  const failed = outstandingFailures(evals);
  if (failed !== undefined) out.push("", "Placement Failure", ...placementFailures(failed.FailedTGAllocs));
  out.push("", "Allocations");
  out.push(allocs.length === 0 ? "No allocations placed" : allocTable(allocs, options));
  return out.join("\n");
}

/** A job by exact ID, else by unique prefix; "No job with ID x" when neither. */
export async function resolveJob(client: DroverClient, id: string): Promise<Job> {
  try {
    return await client.job(id);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const matches = await client.jobs(id);
  if (matches.length === 0) throw new CliError(`No job with ID ${id}`);
  if (matches.length > 1) {
    throw new CliError(
      `Prefix "${id}" matched ${matches.length} jobs; give more of the ID:\n${jobsTable(matches)}`,
    );
  }
  return client.job((matches[0] as JobStub).ID);
}

async function jobRun(file: string, flags: RunFlags): Promise<number> {
  const checkIndex = intFlag(flags.checkIndex, "-check-index");
  const { job, submit, warnings } = await loadJobFile(file, flags);
  for (const w of warnings) warn(`Warning: ${w}`);
  const client = clientFor(flags);
  if (checkIndex !== undefined) {
    // The server enforces the index too; asking first gives the conflict in words.
    let actual = 0;
    try {
      actual = (await client.job(job.ID)).JobModifyIndex;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (actual !== checkIndex) {
      throw new CliError(
        actual === 0
          ? `Enforcing job modify index ${checkIndex}: job "${job.ID}" does not exist (use -check-index 0 to create it)`
          : `Enforcing job modify index ${checkIndex}: job "${job.ID}" exists with conflicting job modify index ${actual}`,
      );
    }
  }
  let answer: Awaited<ReturnType<DroverClient["registerJob"]>>;
  try {
    answer = await client.registerJob(submit, checkIndex);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 400 || error.status === 409)) {
      const detail = (error.body as { error?: string } | null)?.error ?? error.message;
      // 409: the job changed between the check above and the registration.
      throw new CliError(
        error.status === 409
          ? `Enforcing job modify index ${checkIndex}: ${detail}`
          : `Error submitting job: ${detail}`,
      );
    }
    throw error;
  }
  if (answer.Warnings !== "" && answer.Warnings !== undefined) warn(`Job Warnings:\n${answer.Warnings}`);
  if (answer.EvalID === "") {
    write(
      job.Periodic !== null
        ? `Job registration successful: periodic job "${job.ID}" launches on its schedule (${job.Periodic.Spec})`
        : job.ParameterizedJob !== null
          ? `Job registration successful: parameterized job "${job.ID}" runs when dispatched (drover job dispatch ${job.ID})`
          : "Job registration successful",
    );
    return 0;
  }
  if (flags.detach) {
    write(`Job registration successful\nEvaluation ID: ${answer.EvalID}`);
    return 0;
  }
  return followJob(client, job, answer.EvalID, flags.verbose ?? false);
}

/** Whether registering `job` starts a deployment (a service group with a rolling update). */
function deploys(job: Job): boolean {
  return job.Type === "service" && job.TaskGroups.some((g) => g.Update !== null && g.Update.MaxParallel > 0);
}

/**
 * What `job run` (and `job revert`) follow after submitting: the evaluation, then either the
 * allocations (monitorJob) or, for a job with a rolling update, its deployment to the end:
 * successful (0), failed (1), or canaries waiting for `deployment promote` (0).
 */
async function followJob(client: DroverClient, job: Job, evalId: string, verbose: boolean): Promise<number> {
  if (!deploys(job)) {
    return monitorJob({ client, jobId: job.ID, evalId, tty: process.stdout.isTTY === true, verbose });
  }
  const evalCode = await monitorEvalOnly({ client, evalId, tty: false, verbose });
  if (evalCode !== 0) return evalCode;
  const evaluation = (await client.evaluation(evalId)).body;
  const failures = placementFailures(evaluation.FailedTGAllocs);
  if (failures.length > 0) {
    write(`==> Evaluation "${evalId.slice(0, 8)}" failed to place all allocations:`);
    for (const line of failures) write(`    ${line}`);
    return 2;
  }
  const current = await client.job(job.ID);
  const deployment = await client.get<Deployment | null>(`/v1/job/${encodeURIComponent(job.ID)}/deployment`);
  if (deployment === null || deployment.JobVersion !== current.Version) {
    write(`==> Job "${job.ID}" version ${current.Version} has no deployment`);
    return 0;
  }
  return followDeployment({ client, deploymentId: deployment.ID, verbose });
}

interface StatusFlags extends GlobalFlags {
  verbose?: boolean;
}

interface PlanFlags extends GlobalFlags, FileFlags {
  diff?: boolean | string;
  verbose?: boolean;
}

/**
 * Nomad's `job plan`: a dry run of the scheduler for the job file. Exit 0 when nothing would
 * change, 1 when allocations would be created or destroyed, 2 when some would fail to place,
 * 255 on any error (Nomad's codes; 2 is Drover's).
 */
export async function jobPlan(file: string, flags: PlanFlags): Promise<number> {
  try {
    const showDiff = flags.diff === undefined || flags.diff === true || flags.diff === "true";
    if (typeof flags.diff === "string" && flags.diff !== "true" && flags.diff !== "false") {
      throw new CliError(`-diff must be true or false, got ${JSON.stringify(flags.diff)}`);
    }
    const { job, submit, warnings } = await loadJobFile(file, flags);
    for (const w of warnings) warn(`Warning: ${w}`);
    let plan: Awaited<ReturnType<DroverClient["planJob"]>>;
    try {
      // The diff is always asked for: it tells whether anything changed (the exit code).
      plan = await clientFor(flags).planJob(job.ID, submit, true);
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) {
        const detail = (error.body as { error?: string } | null)?.error ?? error.message;
        throw new CliError(`Error during plan: ${detail}`);
      }
      throw error;
    }
    if (flags.json) {
      write(json(plan));
      return 0;
    }
    const runArgs = [
      ...(flags.var ?? []).map((v) => `-var=${JSON.stringify(v)} `),
      ...(flags.varFile ?? []).map((v) => `-var-file=${JSON.stringify(v)} `),
    ].join("");
    const { text, exitCode } = formatPlan(plan, {
      jobType: job.Type,
      file,
      runArgs,
      diff: showDiff,
      verbose: flags.verbose ?? false,
    });
    write(text);
    return exitCode;
  } catch (error) {
    if (error instanceof CliError && error.exitCode === 255) throw error;
    const { message } = errorMessage(error);
    throw new CliError(message, 255);
  }
}

export async function jobStatus(id: string | undefined, flags: StatusFlags): Promise<number> {
  const client = clientFor(flags);
  if (id === undefined) {
    const jobs = await client.jobs();
    if (flags.json) write(json(jobs));
    else write(jobs.length === 0 ? "No running jobs" : jobsTable(jobs));
    return 0;
  }
  const job = await resolveJob(client, id);
  const [summary, allocs, evals] = await Promise.all([
    client.jobSummary(job.ID).catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw error;
    }),
    client.jobAllocations(job.ID).then((a) => a.body),
    client.jobEvaluations(job.ID),
  ]);
  if (flags.json) {
    write(json({ Job: job, Summary: summary ?? null, Allocations: allocs, Evaluations: evals }));
    return 0;
  }
  write(formatJobStatus(job, summary, allocs, evals, { verbose: flags.verbose ?? false }));
  return 0;
}

interface StopFlags extends GlobalFlags {
  purge?: boolean;
  detach?: boolean;
  verbose?: boolean;
}

async function jobStop(id: string, flags: StopFlags): Promise<number> {
  const client = clientFor(flags);
  const job = await resolveJob(client, id);
  const answer = await client.deregisterJob(job.ID, flags.purge === true);
  if (flags.json) {
    write(json(answer));
    return 0;
  }
  if (answer.EvalID === "" || flags.detach) {
    write(answer.EvalID === "" ? `Job "${job.ID}" stopped` : `Evaluation ID: ${answer.EvalID}`);
    return 0;
  }
  return monitorEvalOnly({ client, evalId: answer.EvalID, tty: false, verbose: flags.verbose ?? false });
}

interface DispatchFlags extends GlobalFlags {
  meta?: string[];
  detach?: boolean;
  verbose?: boolean;
}

async function jobDispatch(
  id: string,
  payloadFile: string | undefined,
  flags: DispatchFlags,
): Promise<number> {
  const client = clientFor(flags);
  const meta = parseKeyValues(flags.meta ?? [], "-meta");
  let payload: Uint8Array | undefined;
  if (payloadFile !== undefined) {
    try {
      if (payloadFile === "-") {
        const chunks: Buffer[] = [];
        for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
        payload = Buffer.concat(chunks);
      } else payload = await readFile(payloadFile);
    } catch (error) {
      throw new CliError(`Error reading payload file ${payloadFile}: ${(error as Error).message}`);
    }
  }
  const job = await resolveJob(client, id);
  let answer: Awaited<ReturnType<DroverClient["dispatchJob"]>>;
  try {
    answer = await client.dispatchJob(job.ID, meta, payload);
  } catch (error) {
    if (error instanceof ApiError && error.status === 400) {
      const detail = (error.body as { error?: string } | null)?.error ?? error.message;
      throw new CliError(`Failed to dispatch job: ${detail}`);
    }
    throw error;
  }
  if (flags.json) {
    write(json(answer));
    return 0;
  }
  write(
    keyValues([
      ["Dispatched Job ID", answer.DispatchedJobID],
      ["Evaluation ID", answer.EvalID],
    ]),
  );
  if (flags.detach || answer.EvalID === "") return 0;
  return monitorJob({
    client,
    jobId: answer.DispatchedJobID,
    evalId: answer.EvalID,
    tty: process.stdout.isTTY === true,
    verbose: flags.verbose ?? false,
  });
}

function fileOptions(command: Command): Command {
  return command
    .option("--var <key=value>", "set an HCL variable (repeatable)", collect)
    .option("--var-file <file>", "read HCL variables from a file (repeatable)", collect);
}

export function addJobCommands(program: Command): void {
  const job = new Command("job").description("interact with jobs");

  fileOptions(withGlobals(job.command("run"), { json: false }))
    .description("submit a job file (HCL or JSON) and follow its placement")
    .argument("<file>", "job file (.hcl, .nomad or .json; - for stdin)")
    .option("--detach", "return after submitting, without following the evaluation")
    .option("--check-index <n>", "submit only if the job's modify index is N (0: only if new)")
    .option("--verbose", "full IDs")
    .action(action(jobRun));

  fileOptions(withGlobals(job.command("plan")))
    .description("dry-run a job file: what the scheduler would do, without changing anything")
    .argument("<file>", "job file (.hcl, .nomad or .json; - for stdin)")
    .option("--diff [bool]", "show the diff from the running job (default true; -diff=false hides it)")
    .option("--verbose", "expand added and deleted groups and tasks, and the job's own fields")
    .action(action(jobPlan));

  withGlobals(job.command("status"))
    .description("list jobs, or show one job: summary, placement failures, allocations")
    .argument("[job]", "job ID or unique prefix")
    .option("--verbose", "full IDs and exact times")
    .action(action(jobStatus));

  withGlobals(job.command("stop"))
    .description("stop a job (deregister it) and follow the evaluation")
    .argument("<job>", "job ID or unique prefix")
    .option("--purge", "remove the job from the state as well")
    .option("--detach", "return without following the evaluation")
    .option("--verbose", "full IDs")
    .action(action(jobStop));

  withGlobals(job.command("inspect"), { json: false })
    .description("print a job as JSON (resubmittable with job run FILE.json)")
    .argument("<job>", "job ID or unique prefix")
    .option("--json", "accepted for Nomad compatibility: the output is always JSON")
    .action(
      action(async (id: string, flags: GlobalFlags): Promise<number> => {
        const found = await resolveJob(clientFor(flags), id);
        write(json({ Job: found }));
        return 0;
      }),
    );

  fileOptions(job.command("validate"))
    .description("parse and validate a job file locally (no agent needed)")
    .argument("<file>", "job file (.hcl, .nomad or .json; - for stdin)")
    .action(
      action(async (file: string, flags: FileFlags): Promise<number> => {
        const { warnings } = await loadJobFile(file, flags);
        if (warnings.length > 0) write(`Job Warnings:\n${warnings.map((w) => `* ${w}`).join("\n")}\n`);
        write("Job validation successful");
        return 0;
      }),
    );

  withGlobals(job.command("dispatch"))
    .description("dispatch an instance of a parameterized job")
    .argument("<job>", "parameterized job ID")
    .argument("[payload]", "payload file (- for stdin)")
    .option("--meta <key=value>", "dispatch metadata (repeatable)", collect)
    .option("--detach", "return without following the evaluation")
    .option("--verbose", "full IDs")
    .action(action(jobDispatch));

  withGlobals(job.command("allocs"))
    .description("list a job's allocations")
    .argument("<job>", "job ID or unique prefix")
    .option("--verbose", "full IDs and exact times")
    .action(
      action(async (id: string, flags: StatusFlags): Promise<number> => {
        const client = clientFor(flags);
        const found = await resolveJob(client, id);
        const allocs = (await client.jobAllocations(found.ID)).body;
        if (flags.json) write(json(allocs));
        else
          write(
            allocs.length === 0
              ? "No allocations placed"
              : allocTable(allocs, { verbose: flags.verbose ?? false }),
          );
        return 0;
      }),
    );

  addLifecycleCommands(job);
  program.addCommand(job);
}

interface VersionFlags extends GlobalFlags {
  jobVersion?: string;
}

/** Nomad's `job history`: each stored version, newest first. */
export function formatHistory(versions: readonly Job[]): string {
  return versions
    .map((v) =>
      keyValues([
        ["Version", v.Version],
        ["Stable", v.Stable],
        ["Submit Date", formatTime(v.SubmitTime)],
      ]),
    )
    .join("\n\n");
}

interface EvalFlags extends GlobalFlags {
  detach?: boolean;
  verbose?: boolean;
}

/** A job write's 400/404/409 as the server's words, in one line. */
async function jobWrite<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ApiError && [400, 404, 409].includes(error.status)) {
      const detail = (error.body as { error?: string } | null)?.error ?? error.message;
      throw new CliError(`Error ${what}: ${detail}`);
    }
    throw error;
  }
}

/** Prints a write's eval and follows it unless -detach (or -json). */
async function evalAnswer(
  client: DroverClient,
  answer: { EvalID: string },
  flags: EvalFlags,
  message: string,
): Promise<number> {
  if (flags.json) {
    write(json(answer));
    return 0;
  }
  write(message);
  if (answer.EvalID === "") return 0;
  if (flags.detach) {
    write(`Evaluation ID: ${answer.EvalID}`);
    return 0;
  }
  return monitorEvalOnly({ client, evalId: answer.EvalID, tty: false, verbose: flags.verbose ?? false });
}

function addLifecycleCommands(job: Command): void {
  withGlobals(job.command("history"))
    .description("list a job's stored versions, newest first")
    .argument("<job>", "job ID or unique prefix")
    // Nomad's flag is -version, which the root command takes for itself.
    .option("--job-version <n>", "only this version")
    .action(
      action(async (id: string, flags: VersionFlags): Promise<number> => {
        const client = clientFor(flags);
        const found = await resolveJob(client, id);
        const only = intFlag(flags.jobVersion, "-job-version");
        const { Versions: all } = await client.get<{ Versions: Job[] }>(
          `/v1/job/${encodeURIComponent(found.ID)}/versions`,
        );
        const versions = only === undefined ? all : all.filter((v) => v.Version === only);
        if (only !== undefined && versions.length === 0) {
          throw new CliError(`Job "${found.ID}" has no version ${only}`);
        }
        write(flags.json ? json(versions) : formatHistory(versions));
        return 0;
      }),
    );

  withGlobals(job.command("revert"))
    .description("register an earlier version of a job as its next version, and follow it")
    .argument("<job>", "job ID or unique prefix")
    .argument("<version>", "the version to revert to")
    .option("--detach", "return after submitting, without following")
    .option("--verbose", "full IDs")
    .action(
      action(async (id: string, versionArg: string, flags: EvalFlags): Promise<number> => {
        const version = intFlag(versionArg, "version") as number;
        const client = clientFor(flags);
        const found = await resolveJob(client, id);
        const answer = await jobWrite("reverting job", async () => {
          const res = await client.request<{ EvalID: string; JobModifyIndex: number }>(
            "POST",
            `/v1/job/${encodeURIComponent(found.ID)}/revert`,
            { body: { JobID: found.ID, JobVersion: version } },
          );
          return res.body;
        });
        if (flags.json || flags.detach || answer.EvalID === "") {
          return evalAnswer(client, answer, flags, `Job "${found.ID}" reverted to version ${version}`);
        }
        write(`Job "${found.ID}" reverted to version ${version}`);
        return followJob(client, await client.job(found.ID), answer.EvalID, flags.verbose ?? false);
      }),
    );

  withGlobals(job.command("scale"))
    .description("set the count of a task group (the group may be left out when the job has one)")
    .argument("<job>", "job ID or unique prefix")
    .argument("<group-or-count>", "task group, or the count when the job has one group")
    .argument("[count]", "the new count")
    .option("--detach", "return without following the evaluation")
    .option("--verbose", "full IDs")
    .action(
      action(
        async (
          id: string,
          groupOrCount: string,
          countArg: string | undefined,
          flags: EvalFlags,
        ): Promise<number> => {
          const client = clientFor(flags);
          const found = await resolveJob(client, id);
          let group = groupOrCount;
          let countText = countArg;
          if (countArg === undefined) {
            if (found.TaskGroups.length !== 1) {
              throw new CliError(
                `Job "${found.ID}" has ${found.TaskGroups.length} task groups: name the one to scale`,
              );
            }
            group = (found.TaskGroups[0] as Job["TaskGroups"][number]).Name;
            countText = groupOrCount;
          }
          const count = intFlag(countText, "count") as number;
          const answer = await jobWrite("scaling job", async () => {
            const res = await client.request<{ EvalID: string }>(
              "POST",
              `/v1/job/${encodeURIComponent(found.ID)}/scale`,
              { body: { Count: count, Target: { Group: group } } },
            );
            return res.body;
          });
          return evalAnswer(
            client,
            answer,
            flags,
            `Task group "${group}" of job "${found.ID}" scaled to ${count}`,
          );
        },
      ),
    );

  withGlobals(job.command("deployments"))
    .description("list a job's deployments, newest first")
    .argument("<job>", "job ID or unique prefix")
    .option("--latest", "only the most recent deployment")
    .option("--verbose", "full IDs")
    .action(
      action(async (id: string, flags: ListFlags): Promise<number> => {
        const client = clientFor(flags);
        const found = await resolveJob(client, id);
        const all = await client.get<Deployment[]>(`/v1/job/${encodeURIComponent(found.ID)}/deployments`);
        const list = flags.latest ? all.slice(0, 1) : all;
        if (flags.json) write(json(list));
        else
          write(list.length === 0 ? "No deployments found" : deploymentsTable(list, flags.verbose ?? false));
        return 0;
      }),
    );

  withGlobals(job.command("eval"))
    .description("create a new evaluation of a job (to place what was blocked, or re-check placements)")
    .argument("<job>", "job ID or unique prefix")
    .option("--detach", "return without following the evaluation")
    .option("--verbose", "full IDs")
    .action(
      action(async (id: string, flags: EvalFlags): Promise<number> => {
        const client = clientFor(flags);
        const found = await resolveJob(client, id);
        const answer = await jobWrite("evaluating job", async () => {
          const res = await client.request<{ EvalID: string }>(
            "POST",
            `/v1/job/${encodeURIComponent(found.ID)}/evaluate`,
            { body: { JobID: found.ID } },
          );
          return res.body;
        });
        return evalAnswer(client, answer, flags, `Job "${found.ID}" evaluation created`);
      }),
    );
}

interface ListFlags extends GlobalFlags {
  latest?: boolean;
  verbose?: boolean;
}
