import { ValidationError } from "../common/errors.js";

/** One problem found in a job, with where it is ("web.hcl:12,5" or "Job.TaskGroups[0].Count"). */
export interface Issue {
  where: string;
  message: string;
}

/**
 * Every problem found in one job, reported at once: a job file with three mistakes should need
 * one round trip, not three. `where` and the first line of the message are the first issue's.
 */
export class JobSpecError extends ValidationError {
  override name = "JobSpecError";
  readonly issues: readonly Issue[];
  constructor(issues: readonly Issue[]) {
    const first = issues[0] ?? { where: "Job", message: "invalid job" };
    super(
      issues.length <= 1
        ? first.message
        : `${first.message}\n${issues
            .slice(1)
            .map((i) => `  ${i.where}: ${i.message}`)
            .join("\n")}\n(${issues.length} errors)`,
      first.where,
    );
    this.issues = issues;
  }
}

/** Collects issues and warnings while a job is read, so all of them can be reported together. */
export class Issues {
  readonly errors: Issue[] = [];
  readonly warnings: string[] = [];

  error(where: string, message: string): void {
    // The same mistake reached through two paths (a job default merged into a group) is said once.
    if (!this.errors.some((e) => e.where === where && e.message === message)) {
      this.errors.push({ where, message });
    }
  }

  warn(where: string, message: string): void {
    const text = `${where}: ${message}`;
    if (!this.warnings.includes(text)) this.warnings.push(text);
  }

  throwIfAny(): void {
    if (this.errors.length > 0) throw new JobSpecError(this.errors);
  }
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** The closest of `candidates` to `name`, if it is close enough to be a plausible typo. */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = name.toLowerCase();
  for (const candidate of candidates) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  return bestDistance <= limit ? best : undefined;
}

export function didYouMean(name: string, candidates: Iterable<string>): string {
  const s = suggest(name, candidates);
  return s === undefined ? "" : ` (did you mean ${JSON.stringify(s)}?)`;
}

export type Obj = Record<string, unknown>;

export function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A short, safe rendering of any value for an error message. */
export function show(value: unknown): string {
  let text: string;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
