import Table from "cli-table3";
import type { AllocMetric } from "../fsm/index.js";

/**
 * How the user commands print: Nomad's layouts (column tables without borders, `Key = value`
 * blocks, short IDs, relative times), `--json` for machines, and the wording of placement
 * failures. Everything here is pure: it returns strings, the commands write them.
 */

/** A failure a command reports as one message (no stack trace) with its exit code. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

const NO_BORDERS = {
  top: "",
  "top-mid": "",
  "top-left": "",
  "top-right": "",
  bottom: "",
  "bottom-mid": "",
  "bottom-left": "",
  "bottom-right": "",
  left: "",
  "left-mid": "",
  mid: "",
  "mid-mid": "",
  right: "",
  "right-mid": "",
  middle: "",
} as const;

type Cell = string | number | boolean;

/** A borderless table with a header row, columns two spaces apart (Nomad's `columnize`). */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const t = new Table({
    head: [...headers],
    chars: { ...NO_BORDERS },
    style: { head: [], border: [], "padding-left": 0, "padding-right": 2, compact: true },
  });
  for (const row of rows) t.push(row.map((cell) => String(cell)));
  return t
    .toString()
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n");
}

/** `Key = value` lines with the `=` aligned; an empty value prints as `<none>`. */
export function keyValues(pairs: ReadonlyArray<readonly [string, Cell]>): string {
  const width = Math.max(0, ...pairs.map(([key]) => key.length));
  return pairs
    .map(([key, value]) => {
      const text = String(value);
      return `${key.padEnd(width)} = ${text === "" ? "<none>" : text}`;
    })
    .join("\n");
}

/** The first 8 characters of a UUID, as Nomad shows IDs unless -verbose. */
export function shortId(id: string, verbose = false): string {
  return verbose ? id : id.slice(0, 8);
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

const pad2 = (n: number): string => String(n).padStart(2, "0");

/** A Unix time in nanoseconds as local RFC 3339 (`2024-05-01T14:03:12+02:00`); "" for 0. */
export function formatTime(ns: number, tzOffsetMinutes?: number): string {
  if (ns <= 0) return "";
  const ms = Math.floor(ns / 1e6);
  const offset = tzOffsetMinutes ?? -new Date(ms).getTimezoneOffset();
  const local = new Date(ms + offset * 60_000);
  const sign = offset >= 0 ? "+" : "-";
  const abs = Math.abs(offset);
  const zone = offset === 0 ? "Z" : `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
  return (
    `${local.getUTCFullYear()}-${pad2(local.getUTCMonth() + 1)}-${pad2(local.getUTCDate())}` +
    `T${pad2(local.getUTCHours())}:${pad2(local.getUTCMinutes())}:${pad2(local.getUTCSeconds())}${zone}`
  );
}

/** A duration in milliseconds as Nomad prints it shortened: `45s`, `3m12s`, `2h5m`, `4d3h`. */
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
}

/** `5m12s ago` for a time in nanoseconds (`nowMs` for tests); "" for 0. */
export function ago(ns: number, nowMs = Date.now()): string {
  if (ns <= 0) return "";
  return `${shortDuration(nowMs - ns / 1e6)} ago`;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Filter reasons the scheduler records that read as a sentence on their own. */
const SELF_EXPLAINING = /^(missing |distinct_)/;

/**
 * Why a task group could not be placed, in one line, from the eval's `FailedTGAllocs` entry:
 * "2 nodes exhausted on memory, 1 filtered by constraint ${meta.rack} = r1, 1 missing drivers".
 * Nothing evaluated says so, with the datacenters that had no ready node.
 */
export function explainPlacement(metric: AllocMetric): string {
  const parts: string[] = [];
  for (const [dc, available] of Object.entries(metric.NodesAvailable ?? {})) {
    if (available === 0) parts.push(`no nodes are available in datacenter "${dc}"`);
  }
  if (metric.NodesEvaluated === 0 && parts.length === 0) {
    parts.push(
      metric.NodesInPool === 0 ? "no nodes in the job's node pool" : "no nodes were eligible for evaluation",
    );
  }
  const byCount = (a: [string, number], b: [string, number]): number =>
    b[1] - a[1] || a[0].localeCompare(b[0]);
  for (const [dimension, n] of Object.entries(metric.DimensionExhausted ?? {}).sort(byCount)) {
    parts.push(`${plural(n, "node")} exhausted on ${dimension}`);
  }
  const accountedExhausted = Object.values(metric.DimensionExhausted ?? {}).reduce((a, b) => a + b, 0);
  if (metric.NodesExhausted > accountedExhausted) {
    parts.push(`${plural(metric.NodesExhausted - accountedExhausted, "node")} exhausted`);
  }
  for (const [reason, n] of Object.entries(metric.ConstraintFiltered ?? {}).sort(byCount)) {
    parts.push(SELF_EXPLAINING.test(reason) ? `${n} ${reason}` : `${n} filtered by constraint ${reason}`);
  }
  for (const quota of metric.QuotaExhausted ?? []) parts.push(`quota exhausted: ${quota}`);
  if (parts.length === 0) parts.push(`${plural(metric.NodesEvaluated, "node")} evaluated, none fit`);
  return parts.join(", ");
}

/** Nomad's heading for a group's placement failure, with its explanation on the next line. */
export function placementFailureLines(group: string, metric: AllocMetric): string[] {
  const count = (metric.CoalescedFailures ?? 0) + 1;
  return [
    `Task Group "${group}" (failed to place ${plural(count, "allocation")}):`,
    `  * ${explainPlacement(metric)}`,
  ];
}

/** Every failed group of an eval, groups in name order. */
export function placementFailures(failed: Record<string, AllocMetric> | null | undefined): string[] {
  return Object.keys(failed ?? {})
    .sort()
    .flatMap((group) => placementFailureLines(group, (failed as Record<string, AllocMetric>)[group]!));
}

/** Progress of one task group while `job run` follows it. */
export interface GroupProgress {
  group: string;
  desired: number;
  placed: number;
  running: number;
  healthy: number;
  failed: number;
  complete: number;
}

/** The plain (not a TTY) progress line of a group. */
export function progressLine(p: GroupProgress, batch: boolean): string {
  const tail = batch ? `, complete ${p.complete}` : "";
  return (
    `Task Group "${p.group}": desired ${p.desired}, placed ${p.placed}, running ${p.running}, ` +
    `healthy ${p.healthy}, failed ${p.failed}${tail}`
  );
}
