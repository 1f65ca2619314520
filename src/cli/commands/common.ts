import { type Command, CommanderError } from "commander";
import { AgentUnreachableError, ApiError, DroverClient } from "../http-client.js";
import { CliError, table } from "../output.js";

/** The options every user command takes (Nomad's general options, and `-json`). */
export interface GlobalFlags {
  address?: string;
  token?: string;
  namespace?: string;
  json?: boolean;
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
}

/** Adds `--address`, `--token` and (unless `json` is false) `--json` to a command. */
export function withGlobals(command: Command, options: { json?: boolean } = {}): Command {
  command
    .option("--address <addr>", "agent HTTP address (default $DROVER_ADDR, else http://127.0.0.1:4646)")
    .option("--token <token>", "ACL token sent as X-Nomad-Token (default $DROVER_TOKEN)")
    .option(
      "--namespace <ns>",
      "namespace of the command's objects (default $DROVER_NAMESPACE, else default)",
    )
    .option("--ca-cert <file>", "CA certificate to verify an https:// agent (default $DROVER_CACERT)")
    .option("--client-cert <file>", "client certificate for HTTPS (default $DROVER_CLIENT_CERT)")
    .option("--client-key <file>", "key of the client certificate (default $DROVER_CLIENT_KEY)");
  if (options.json !== false) command.option("--json", "print JSON instead of tables");
  return command;
}

export function clientFor(flags: GlobalFlags): DroverClient {
  return new DroverClient({
    address: flags.address,
    token: flags.token,
    namespace: flags.namespace,
    caCert: flags.caCert,
    clientCert: flags.clientCert,
    clientKey: flags.clientKey,
  });
}

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function write(text: string): void {
  if (text === "") return;
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

export function warn(text: string): void {
  process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** A non-negative integer flag value (`-check-index 12`). */
export function intFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new CliError(`${flag} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** `key=value` (the value may contain `=`); `what` names the argument in errors. */
export function keyValue(arg: string, what: string): [string, string] {
  const at = arg.indexOf("=");
  if (at <= 0) throw new CliError(`${what} must be key=value, got ${JSON.stringify(arg)}`);
  return [arg.slice(0, at), arg.slice(at + 1)];
}

export function keyValues(args: readonly string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const [key, value] = keyValue(arg, what);
    out[key] = value;
  }
  return out;
}

/**
 * The one message of an error, as the user sees it: the agent's own words for unreachable
 * agents and API errors, the message of a CliError, and for anything unexpected its message
 * alone (never a stack trace).
 */
export function errorMessage(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof AgentUnreachableError) return { message: error.message, exitCode: 1 };
  if (error instanceof ApiError) return { message: `Error: ${error.message}`, exitCode: 1 };
  if (error instanceof Error) return { message: `Error: ${error.message}`, exitCode: 1 };
  return { message: `Error: ${String(error)}`, exitCode: 1 };
}

/**
 * Wraps a command's action: its result is the exit code (undefined = 0). A failure is printed
 * as one line on stderr; a code other than 0 is passed to main.ts as a CommanderError, which
 * exits with it.
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<number | undefined>,
): (...args: A) => Promise<void> {
  return async (...args: A): Promise<void> => {
    let code: number;
    try {
      code = (await fn(...args)) ?? 0;
    } catch (error) {
      if (error instanceof CommanderError) throw error;
      const { message, exitCode } = errorMessage(error);
      warn(message);
      code = exitCode;
    }
    if (code !== 0) throw new CommanderError(code, "drover.exit", "");
  };
}

/** Whether an error is the agent's 404 (a missing object, not a missing route). */
export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404 && !/no such path/.test(error.message);
}

/** Runs `fn`; a 404 becomes a CliError with `message` ("No job with ID x"). */
export async function orNotFound<T>(fn: () => Promise<T>, message: string): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (isNotFound(error)) throw new CliError(message);
    throw error;
  }
}

/**
 * The full ID of an object from a unique prefix of it (Nomad's short IDs): lists with
 * `?prefix=` and takes the only match, or the exact one. None → "No allocation(s) with prefix
 * or ID x found"; several → the candidates are listed, exit 1.
 */
export async function resolvePrefix<T extends { ID: string }>(
  what: string,
  id: string,
  list: (prefix: string) => Promise<T[]>,
  describe: (candidates: T[]) => string,
): Promise<string> {
  if (id === "") throw new CliError(`An ${what} ID is required`);
  const matches = await list(id);
  const exact = matches.find((m) => m.ID === id);
  if (exact !== undefined) return exact.ID;
  if (matches.length === 0) throw new CliError(`No ${what} with prefix or ID ${JSON.stringify(id)} found`);
  if (matches.length === 1) return (matches[0] as T).ID;
  throw new CliError(
    `Prefix ${JSON.stringify(id)} matched ${matches.length} ${what}s; give more of the ID:\n${describe(matches)}`,
  );
}

export function candidatesTable(rows: ReadonlyArray<readonly string[]>, headers: readonly string[]): string {
  return table(headers, rows);
}
