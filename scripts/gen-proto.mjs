#!/usr/bin/env node
// Generates TypeScript types for every proto/*.proto into src/gen/proto/ (committed), so that no
// message is declared twice. Run `npm run gen:proto` after editing a .proto; `npm test` checks that
// the committed output is fresh (test/unit/proto-fresh.test.ts).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = process.argv[2] ?? join(root, "src", "gen", "proto");
const protos = readdirSync(join(root, "proto"))
  .filter((f) => f.endsWith(".proto"))
  .sort();

rmSync(outDir, { recursive: true, force: true });
if (protos.length > 0) {
  execFileSync(
    join(root, "node_modules", ".bin", "proto-loader-gen-types"),
    [
      "--longs=Number",
      "--enums=String",
      "--defaults",
      "--oneofs",
      "--grpcLib=@grpc/grpc-js",
      "-I",
      join(root, "proto"),
      "-O",
      outDir,
      ...protos,
    ],
    { stdio: "inherit" },
  );
  // ESM (nodenext) wants explicit extensions on relative imports, even type-only ones.
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith(".ts")) {
        const text = readFileSync(path, "utf8")
          .replace(/from '(\.{1,2}\/[^']+)'/g, "from '$1.js'")
          // The generator names the source by absolute path; keep the output independent of
          // where the checkout lives.
          .replaceAll(`Original file: ${join(root, "proto")}/`, "Original file: proto/");
        writeFileSync(path, text);
      }
    }
  };
  walk(outDir);
}
