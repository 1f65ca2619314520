/**
 * Datacenter selection with Nomad's globs: `*` matches any run of characters ("dc*", "*-east",
 * "*" for every datacenter); every other character matches itself.
 */
const globCache = new Map<string, RegExp>();

export function datacenterMatches(datacenter: string, patterns: readonly string[]): boolean {
  for (const pattern of patterns) {
    if (!pattern.includes("*")) {
      if (pattern === datacenter) return true;
      continue;
    }
    let re = globCache.get(pattern);
    if (re === undefined) {
      const source = pattern
        .split("*")
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*");
      re = new RegExp(`^${source}$`);
      globCache.set(pattern, re);
    }
    if (re.test(datacenter)) return true;
  }
  return false;
}
