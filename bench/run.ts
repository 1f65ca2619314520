/**
 * `npm run bench -- <name> [args…]`: runs bench/<name>.ts, prints a table and writes
 * bench/results/<name>.json as {"bench": name, "metrics": {...}, ...}.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Bench, formatTable } from "./harness.js";

const here = dirname(fileURLToPath(import.meta.url));
// Compiled to dist/bench/run.js; the results folder lives in the source tree.
const repoRoot = resolve(here, "..", "..");

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  if (name === undefined || !/^[a-z0-9-]+$/.test(name)) {
    process.stderr.write("usage: npm run bench -- <name> [args…]   (names: the files in bench/)\n");
    process.exit(1);
  }
  let bench: Bench;
  try {
    const module = (await import(pathToFileURL(join(here, `${name}.js`)).href)) as { run?: Bench };
    if (typeof module.run !== "function") throw new Error(`bench/${name}.ts exports no run()`);
    bench = module.run;
  } catch (error) {
    process.stderr.write(`bench: cannot load ${name}: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const startedAt = new Date().toISOString();
  const result = await bench(args);
  const rows = result.rows ?? Object.entries(result.metrics).map(([metric, value]) => ({ metric, value }));
  process.stdout.write(`\n${name}\n${formatTable(rows)}\n`);
  for (const note of result.notes ?? []) process.stdout.write(`  ${note}\n`);
  const out = join(repoRoot, "bench", "results", `${name}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ bench: name, startedAt, metrics: result.metrics, rows, notes: result.notes ?? [] }, null, 2)}\n`,
  );
  process.stdout.write(`\nwrote ${out}\n`);
}

await main();
process.exit(0);
