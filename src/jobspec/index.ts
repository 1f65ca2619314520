import { ValidationError } from "../common/errors.js";
import { MAX_JOB_FILE_BYTES } from "../common/limits.js";
import type { Job } from "../fsm/index.js";
import { canonicalize, type Sink } from "./canonicalize.js";
import { hclJobToApi, type Origin } from "./hcl-job.js";
import { parseHcl } from "./hcl-parse.js";
import { locate, scanPositions } from "./hcl-positions.js";
import { Issues } from "./issues.js";
import { validate } from "./validate.js";
import { readVariables, type VariableOptions } from "./variables.js";

/**
 * The one place that turns input into a valid `Job`: HCL2 job files (`parseJobHcl`) and the JSON
 * API form (`jobFromApiInput`, `jobFromInput`). Both go through the same canonicalization
 * (Nomad's defaults) and validation, which reports every problem at once, each located: at
 * `file:line,col` for HCL, at a JSON path (`Job.TaskGroups[0].Count`) for JSON.
 */

export { parseHcl } from "./hcl-parse.js";
export { type Issue, JobSpecError } from "./issues.js";
export type { VarFile, VariableOptions } from "./variables.js";

export interface ParsedJob {
  job: Job;
  warnings: string[];
  /**
   * Blocks and attributes Drover keeps but does not act on yet (service, template, volume, …),
   * keyed by where they are: `group "api" task "web" service` → the block bodies.
   */
  extras: Record<string, unknown>;
}

const jsonWhere = (path: string) => (path === "" ? "Job" : `Job.${path}`);

/** A sink that reports JSON paths as they are (`Job.TaskGroups[0].Count: must be >= 0`). */
function jsonSink(issues: Issues): Sink {
  return {
    error: (path, message) => issues.error(jsonWhere(path), message),
    warn: (path, message) => issues.warn(jsonWhere(path), message),
  };
}

function run(input: unknown, submitTime: number, sink: Sink): Job {
  const job = canonicalize(input, submitTime, sink);
  validate(job, sink);
  return job;
}

/** A complete, validated Job from the JSON API form, with warnings (unknown fields, ignored features). */
export function jobFromApiInput(input: unknown, submitTime: number): { job: Job; warnings: string[] } {
  const issues = new Issues();
  const job = run(input, submitTime, jsonSink(issues));
  issues.throwIfAny();
  return { job, warnings: issues.warnings };
}

/** A complete, validated Job from outside input (HTTP JSON, an RPC's msgpack). Server-owned fields are reset. */
export function jobFromInput(input: unknown, submitTime: number): Job {
  return jobFromApiInput(input, submitTime).job;
}

export interface ParseHclOptions extends VariableOptions {
  /** SubmitTime of the job (ns); 0 by default, the server sets it on registration. */
  submitTime?: number;
}

/** Refuses a job file above MAX_JOB_FILE_BYTES before any parser sees it. */
export function checkJobFileSize(text: string, filename: string): void {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_JOB_FILE_BYTES)
    throw new ValidationError(`job file is ${bytes} bytes, at most ${MAX_JOB_FILE_BYTES} allowed`, filename);
}

/**
 * Parses an HCL2 job file into a complete, validated Job. Every problem is reported at once in a
 * JobSpecError (a ValidationError), each at `file:line,col`.
 */
export async function parseJobHcl(
  text: string,
  filename: string,
  options: ParseHclOptions = {},
): Promise<ParsedJob> {
  if (typeof text !== "string") throw new ValidationError("a job file must be text", filename);
  checkJobFileSize(text, filename);
  const root = await parseHcl(text, filename);
  const positions = scanPositions(text);
  const issues = new Issues();
  const variables = await readVariables(root, options, filename, positions, issues);
  const converted = hclJobToApi(root, filename, positions, variables, issues);
  // Type errors found while converting would be reported again (less well) by canonicalize.
  if (issues.errors.length > 0) issues.throwIfAny();
  const job = run(
    converted.input,
    options.submitTime ?? 0,
    hclSink(issues, filename, positions, converted.origins),
  );
  issues.throwIfAny();
  return { job, warnings: issues.warnings, extras: converted.extras };
}

/** Drops the last segment of a JSON path: `A[0].B` → `A[0]` → `A` → "". */
function parentPath(path: string): string | undefined {
  if (path === "") return undefined;
  const m = /^(.*?)(\.[^.[\]]+|\[\d+\])$/.exec(path);
  return m === null ? "" : (m[1] as string);
}

/** A sink that reports JSON paths at the place in the file they came from. */
function hclSink(
  issues: Issues,
  filename: string,
  positions: ReturnType<typeof scanPositions>,
  origins: ReadonlyMap<string, Origin>,
): Sink {
  const render = (path: string, message: string): [string, string] => {
    let p: string | undefined = path;
    while (p !== undefined) {
      const origin = origins.get(p);
      if (origin !== undefined) {
        const pos = locate(positions, origin.key);
        const rest = path.slice(p.length).replace(/^\./, "");
        const subject = rest === "" ? origin.name : origin.name === "" ? rest : `${origin.name}.${rest}`;
        const text = subject === "" ? message : `${subject} ${message}`;
        return [
          `${filename}:${pos.line},${pos.col}`,
          origin.context === "" ? text : `${origin.context}: ${text}`,
        ];
      }
      p = parentPath(p);
    }
    return [filename, `${jsonWhere(path)} ${message}`];
  };
  return {
    error: (path, message) => issues.error(...render(path, message)),
    warn: (path, message) => issues.warn(...render(path, message)),
  };
}
