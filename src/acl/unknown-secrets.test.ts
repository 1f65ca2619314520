import { describe, expect, it } from "vitest";
import { UnknownSecrets } from "./unknown-secrets.js";

const S = 1e9;

describe("UnknownSecrets", () => {
  it("remembers a refusal until it expires", () => {
    const secrets = new UnknownSecrets(30 * S, 10);
    expect(secrets.refusal("h1", 0)).toBeUndefined();
    secrets.remember("h1", "Permission denied: ACL token not found", 5 * S);
    expect(secrets.refusal("h1", 5 * S)).toBe("Permission denied: ACL token not found");
    expect(secrets.refusal("h1", 35 * S - 1)).toBe("Permission denied: ACL token not found");
    expect(secrets.refusal("h1", 35 * S)).toBeUndefined();
    expect(secrets.size).toBe(0);
  });

  it("keeps what the leader said for each secret", () => {
    const secrets = new UnknownSecrets(30 * S, 10);
    secrets.remember("h1", "Permission denied: ACL token not found", 0);
    secrets.remember("h2", "Permission denied: ACL token expired", 0);
    expect(secrets.refusal("h1", 1)).toMatch(/not found/);
    expect(secrets.refusal("h2", 1)).toMatch(/expired/);
  });

  it("drops the oldest entry when full, and a renewed one counts as new", () => {
    const secrets = new UnknownSecrets(30 * S, 3);
    secrets.remember("h1", "no", 1);
    secrets.remember("h2", "no", 2);
    secrets.remember("h3", "no", 3);
    secrets.remember("h1", "no", 4);
    secrets.remember("h4", "no", 5);
    expect(secrets.size).toBe(3);
    expect(secrets.refusal("h2", 6)).toBeUndefined();
    expect(secrets.refusal("h1", 6)).toBe("no");
    expect(secrets.refusal("h3", 6)).toBe("no");
    expect(secrets.refusal("h4", 6)).toBe("no");
  });
});
