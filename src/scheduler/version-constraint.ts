/**
 * Version comparisons for the `version` and `semver` constraint operators, in the manner of
 * hashicorp/go-version: a constraint is a comma-separated list of `<op> <version>` terms, all of
 * which must hold; operators `=`, `!=`, `>`, `>=`, `<`, `<=` and `~>` (pessimistic: `~> 1.2.3` means
 * `>= 1.2.3, < 1.3`). `version` accepts a leading "v" and any number of numeric segments; `semver`
 * demands exactly three. A prerelease sorts before its release.
 */

export interface ParsedVersion {
  segments: number[];
  /** Prerelease identifiers ("beta.1" → ["beta", "1"]); empty for a release. */
  prerelease: string[];
  /** How many segments were written (for `~>`). */
  written: number;
}

const LOOSE = /^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
const STRICT = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export function parseVersion(text: string, strict: boolean): ParsedVersion | undefined {
  const trimmed = text.trim();
  if (strict) {
    const m = STRICT.exec(trimmed);
    if (m === null) return undefined;
    return {
      segments: [Number(m[1]), Number(m[2]), Number(m[3])],
      prerelease: m[4] === undefined ? [] : m[4].split("."),
      written: 3,
    };
  }
  const m = LOOSE.exec(trimmed);
  if (m === null || m[1] === undefined) return undefined;
  const segments = m[1].split(".").map(Number);
  return { segments, prerelease: m[2] === undefined ? [] : m[2].split("."), written: segments.length };
}

export function compareVersions(a: ParsedVersion, b: ParsedVersion): number {
  const length = Math.max(a.segments.length, b.segments.length, 3);
  for (let i = 0; i < length; i++) {
    const diff = (a.segments[i] ?? 0) - (b.segments[i] ?? 0);
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
  return comparePrerelease(a.prerelease, b.prerelease);
}

function comparePrerelease(a: string[], b: string[]): number {
  if (a.length === 0 && b.length === 0) return 0;
  if (a.length === 0) return 1;
  if (b.length === 0) return -1;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const xNum = /^\d+$/.test(x);
    const yNum = /^\d+$/.test(y);
    if (xNum && yNum) return Number(x) < Number(y) ? -1 : 1;
    if (xNum) return -1;
    if (yNum) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

type Term = { op: string; version: ParsedVersion };

const TERM = /^(=|!=|>=|<=|>|<|~>)?\s*(\S+)$/;
const constraintCache = new Map<string, Term[] | null>();

function parseConstraint(text: string, strict: boolean): Term[] | null {
  const key = `${strict ? "s" : "v"}:${text}`;
  const cached = constraintCache.get(key);
  if (cached !== undefined) return cached;
  let terms: Term[] | null = [];
  for (const piece of text.split(",")) {
    const m = TERM.exec(piece.trim());
    const version = m?.[2] === undefined ? undefined : parseVersion(m[2], strict);
    if (m === null || version === undefined) {
      terms = null;
      break;
    }
    terms.push({ op: m[1] ?? "=", version });
  }
  if (constraintCache.size > 10_000) constraintCache.clear();
  constraintCache.set(key, terms);
  return terms;
}

/** Does `versionText` satisfy every term of `constraintText`? False when either does not parse. */
export function versionSatisfies(versionText: string, constraintText: string, strict: boolean): boolean {
  const version = parseVersion(versionText, strict);
  const terms = parseConstraint(constraintText, strict);
  if (version === undefined || terms === null) return false;
  for (const term of terms) if (!termHolds(version, term)) return false;
  return true;
}

function termHolds(version: ParsedVersion, term: Term): boolean {
  const cmp = compareVersions(version, term.version);
  switch (term.op) {
    case "=":
      return cmp === 0;
    case "!=":
      return cmp !== 0;
    case ">":
      return cmp > 0;
    case ">=":
      return cmp >= 0;
    case "<":
      return cmp < 0;
    case "<=":
      return cmp <= 0;
    case "~>":
      return cmp >= 0 && compareVersions(version, pessimisticCeiling(term.version)) < 0;
    default:
      return false;
  }
}

/** `~> 1.2.3` → 1.3.0; `~> 1.2` → 2.0; `~> 1` → 2. */
function pessimisticCeiling(version: ParsedVersion): ParsedVersion {
  const kept = Math.max(1, version.written - 1);
  const segments = version.segments.slice(0, kept);
  const last = kept - 1;
  segments[last] = (segments[last] ?? 0) + 1;
  return { segments, prerelease: [], written: kept };
}
