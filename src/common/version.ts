import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findPackageJson(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "package.json");
    try {
      const text = readFileSync(candidate, "utf8");
      if ((JSON.parse(text) as { name?: string }).name === "drover") return text;
    } catch {
      // not here; keep walking up
    }
    dir = dirname(dir);
  }
  throw new Error("drover's package.json not found above the running module");
}

export const DROVER_VERSION: string = (JSON.parse(findPackageJson()) as { version: string }).version;
