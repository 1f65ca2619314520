import { optionalStringList, rejectUnknownKeys, requiredString } from "./config-fields.js";

/** The `config` of an exec or raw_exec task. */
export interface CommandConfig {
  command: string;
  args: string[];
}

export function parseCommandConfig(config: Record<string, unknown>): CommandConfig {
  rejectUnknownKeys(config, ["command", "args"]);
  return { command: requiredString(config, "command"), args: optionalStringList(config, "args") ?? [] };
}
