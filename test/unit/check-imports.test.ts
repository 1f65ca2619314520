import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkImports, importsOf, parseRule } from "../../scripts/check-imports.mjs";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "drover-imports-"));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe("the folder import rules (scripts/check-imports.mjs)", () => {
  it("reads a README's rule, across lines, with types-only grants", () => {
    expect(
      parseRule("# x\n\nMay import: `src/a/`, `src/b/` (types only),\n`src/c/`. Never `src/d/`.\n"),
    ).toEqual({
      allowed: [
        { folder: "src/a", typesOnly: false },
        { folder: "src/b", typesOnly: true },
        { folder: "src/c", typesOnly: false },
      ],
    });
    expect(parseRule("# no rule here\n")).toBeUndefined();
  });

  it("finds static, type-only, re-exported and dynamic imports of relative paths", () => {
    const found = importsOf(
      [
        'import { a } from "./a.js";',
        'import type { B } from "../b.js";',
        'import { type C, type D } from "../c.js";',
        'export { e } from "./e.js";',
        'import { f } from "node:fs";',
        'const g = await import("./g.js");',
        'import h from "./h.js";',
      ].join("\n"),
    );
    expect(found).toEqual([
      { path: "./a.js", typeOnly: false, line: 1 },
      { path: "../b.js", typeOnly: true, line: 2 },
      { path: "../c.js", typeOnly: true, line: 3 },
      { path: "./e.js", typeOnly: false, line: 4 },
      { path: "./h.js", typeOnly: false, line: 7 },
      { path: "./g.js", typeOnly: false, line: 6 },
    ]);
  });

  it("reports imports across a boundary, values through a types-only grant, and unruled folders", () => {
    const root = tree({
      "src/core/README.md": "May import: `src/util/`, `src/model/` (types only).\n",
      "src/util/README.md": "May import: nothing outside `src/util/`.\n",
      "src/model/README.md": "May import: `src/util/`.\n",
      "src/util/u.ts": "export const u = 1;\n",
      "src/model/m.ts": 'import { u } from "../util/u.js";\nexport type M = number;\nexport const m = u;\n',
      "src/core/ok.ts": 'import { u } from "../util/u.js";\nimport type { M } from "../model/m.js";\n',
      "src/core/deep/inner.ts": 'import { x } from "../ok.js";\n',
      "src/core/bad.ts": 'import { m } from "../model/m.js";\nimport { y } from "../other/y.js";\n',
      "src/core/bad.test.ts": 'import { y } from "../other/y.js";\n',
      "src/other/y.ts": "export const y = 1;\n",
    });
    expect(checkImports(root).sort()).toEqual([
      "src/core/bad.ts:1: imports values from src/model/m.js; src/core/README.md allows types only",
      "src/core/bad.ts:2: imports src/other/y.js, outside what src/core/README.md allows",
      'src/other/y.ts: no folder above it states what it may import (a "May import:" line in a README)',
    ]);
  });

  it("holds for this repository", () => {
    expect(checkImports(resolve(import.meta.dirname, "../.."))).toEqual([]);
  });
});
