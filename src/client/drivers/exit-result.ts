import { constants } from "node:os";
import type { ExitResult } from "./driver.js";

/** Builders for ExitResult and signal-name helpers shared by every driver. */

export function exitResult(fields: Partial<ExitResult> = {}): ExitResult {
  return { exitCode: 0, signal: 0, oomKilled: false, error: "", ...fields };
}

/** The result for a task whose end this agent could not observe (it ran while we were down). */
export function unknownExit(error: string): ExitResult {
  return exitResult({ exitCode: -1, error });
}

const SIGNALS = constants.signals as Readonly<Record<string, number>>;

/**
 * The number of a signal given by name ("SIGTERM", "TERM", "sigterm"); "" means SIGTERM, as a
 * task's `kill_signal` defaults to it. Throws on an unknown name: a typo must not become "no signal".
 */
export function signalNumber(name: string): number {
  const upper = name.trim().toUpperCase();
  if (upper === "") return SIGNALS["SIGTERM"] as number;
  const full = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  const n = SIGNALS[full];
  if (n === undefined) throw new Error(`unknown signal ${JSON.stringify(name)}`);
  return n;
}

/** The canonical name ("SIGTERM") of a signal given by name; throws like signalNumber. */
export function signalName(name: string): NodeJS.Signals {
  signalNumber(name);
  const upper = name.trim().toUpperCase();
  if (upper === "") return "SIGTERM";
  return (upper.startsWith("SIG") ? upper : `SIG${upper}`) as NodeJS.Signals;
}

/** A wait status as an ExitResult; a shell's 128+n status means "killed by signal n". */
export function fromWaitStatus(code: number, signal: NodeJS.Signals | null): ExitResult {
  if (signal !== null) return exitResult({ signal: signalNumber(signal) });
  if (code > 128 && code <= 128 + 64) return exitResult({ signal: code - 128 });
  return exitResult({ exitCode: code });
}
