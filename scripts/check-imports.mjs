#!/usr/bin/env node
// Enforces the module boundaries that each folder's README states in one line:
//
//   May import: `src/fsm/`, `src/common/`, `src/raft/` (types only), `src/server/clock.ts`.
//
// A source file follows the rule of the nearest folder above it whose README has such a line; it
// may import anything inside that folder, and outside it only the listed folders (for "(types
// only)", with `import type` / `export type` alone). Static imports, re-exports and dynamic
// `import()` of relative paths are checked. Tests (`*.test.ts`) and test support (`test-*.ts`)
// are exempt: they wire real parts of several folders together on purpose. Generated code
// (`src/gen/`) has no rule. Every other folder under `src/` must have one.
//
// `npm run lint` runs this; it prints each violation as file:line and exits 1.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const RULE_LINE = /^May import:(.*)$/m;
const EXEMPT_FILE = /(\.test\.ts|\/test-[^/]*\.ts)$/;
const UNRULED = ["src/gen"];

/** The rule a README states, or undefined when it has none. */
export function parseRule(readme) {
  const match = RULE_LINE.exec(readme);
  if (match === null) return undefined;
  const allowed = [];
  // The rule may run onto the next lines; it ends at its first full stop.
  const text = readme.slice(match.index + "May import:".length).split(/\.(?:\s|$)/)[0];
  for (const m of text.matchAll(/`(src\/[^`]*?)\/?`( \(types only\))?/g)) {
    allowed.push({ folder: m[1], typesOnly: m[2] !== undefined });
  }
  return { allowed };
}

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** Every import of a relative path in `source`: the path, whether type-only, and its line. */
export function importsOf(source) {
  const found = [];
  const lineOf = (index) => source.slice(0, index).split("\n").length;
  const statement = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s+from\s+"(\.{1,2}\/[^"]+)"/gms;
  for (const m of source.matchAll(statement)) {
    const names = m[3];
    // `import { type A, type B }` is type-only too.
    const braces = /^\{([^}]*)\}$/.exec(names.trim());
    const specifiers = braces === null ? [] : braces[1].split(",").map((s) => s.trim());
    const named = specifiers.filter((s) => s !== "");
    const allTypes = named.length > 0 && named.every((s) => s.startsWith("type "));
    found.push({ path: m[4], typeOnly: m[2] !== undefined || allTypes, line: lineOf(m.index) });
  }
  for (const m of source.matchAll(/\bimport\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g)) {
    found.push({ path: m[1], typeOnly: false, line: lineOf(m.index) });
  }
  return found;
}

const stem = (path) => path.replace(/\.(ts|js|mjs)$/, "");
/** `path` is `folder` itself, lies under it, or is the same file named with another extension. */
const inside = (path, folder) =>
  path === folder || path.startsWith(`${folder}/`) || stem(path) === stem(folder);

/** The violations under `root` (a repository), as "file:line: message" strings. */
export function checkImports(root) {
  const rules = new Map();
  const ruleFor = (folder) => {
    if (rules.has(folder)) return rules.get(folder);
    const readme = join(root, folder, "README.md");
    const rule = existsSync(readme) ? parseRule(readFileSync(readme, "utf8")) : undefined;
    rules.set(folder, rule);
    return rule;
  };
  const problems = [];
  for (const file of walk(join(root, "src"))) {
    const rel = relative(root, file).split(sep).join("/");
    if (EXEMPT_FILE.test(`/${rel}`) || UNRULED.some((f) => inside(rel, f))) continue;
    let folder = dirname(rel);
    let rule = ruleFor(folder);
    while (rule === undefined && folder !== "src" && folder !== ".") {
      folder = dirname(folder);
      rule = ruleFor(folder);
    }
    if (rule === undefined) {
      problems.push(
        `${rel}: no folder above it states what it may import (a "May import:" line in a README)`,
      );
      continue;
    }
    for (const imp of importsOf(readFileSync(file, "utf8"))) {
      const target = relative(root, resolve(dirname(file), imp.path))
        .split(sep)
        .join("/");
      if (inside(target, folder)) continue;
      const grant = rule.allowed.find((a) => inside(target, a.folder));
      if (grant === undefined) {
        problems.push(`${rel}:${imp.line}: imports ${target}, outside what ${folder}/README.md allows`);
      } else if (grant.typesOnly && !imp.typeOnly) {
        problems.push(
          `${rel}:${imp.line}: imports values from ${target}; ${folder}/README.md allows types only`,
        );
      }
    }
  }
  return problems;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const problems = checkImports(root);
  for (const p of problems) console.error(p);
  if (problems.length > 0) {
    console.error(`check-imports: ${problems.length} import(s) cross a folder boundary`);
    process.exit(1);
  }
  console.log("check-imports: every import stays within its folder's rule");
}
