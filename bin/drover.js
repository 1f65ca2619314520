#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` (the prepare script).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const entry = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "src", "cli", "main.js");
if (!existsSync(entry)) {
  process.stderr.write(`drover: ${entry} is missing; run \`npm install\` (or \`npm run build\`) first\n`);
  process.exit(1);
}
await import(pathToFileURL(entry).href);
