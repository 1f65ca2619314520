import { describe, expect, it } from "vitest";
import { AGENT_MALLOC_ENV, AGENT_NODE_OPTIONS, withAgentEnv } from "./agent-env.js";

describe("withAgentEnv", () => {
  it("adds the malloc settings and the young-generation flag to an environment without them", () => {
    const env = withAgentEnv({ PATH: "/bin" });
    expect(env).toEqual({ PATH: "/bin", ...AGENT_MALLOC_ENV, NODE_OPTIONS: AGENT_NODE_OPTIONS });
  });

  it("keeps what the environment sets itself, and other NODE_OPTIONS next to the flag", () => {
    expect(withAgentEnv({ MALLOC_ARENA_MAX: "8" })["MALLOC_ARENA_MAX"]).toBe("8");
    expect(withAgentEnv({ NODE_OPTIONS: "--enable-source-maps" })["NODE_OPTIONS"]).toBe(
      `${AGENT_NODE_OPTIONS} --enable-source-maps`,
    );
    expect(withAgentEnv({ NODE_OPTIONS: "--max-semi-space-size=16" })["NODE_OPTIONS"]).toBe(
      "--max-semi-space-size=16",
    );
  });
});
