import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { TaskStartError } from "../../common/errors.js";

/** The PATH used when a task's environment has none (that of a login shell on Debian). */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * Resolves a task's command to an executable file BEFORE anything is spawned, so that a typo
 * fails the task with "executable not found: <cmd>" (not recoverable: it would fail the same way
 * on every attempt) instead of a shell's exit code 127. A command with a slash is taken as a
 * path, relative to the task dir; a bare name is searched in the task env's PATH (relative PATH
 * entries are relative to the task dir too, as the task's working directory is).
 */
export async function resolveExecutable(
  command: string,
  env: Readonly<Record<string, string>>,
  taskDir: string,
): Promise<string> {
  if (command.includes("/")) {
    const path = resolve(taskDir, command);
    if (await isExecutableFile(path)) return path;
    throw notFound(command);
  }
  for (const dir of (env["PATH"] ?? DEFAULT_PATH).split(":")) {
    const path = isAbsolute(dir) ? join(dir, command) : resolve(taskDir, dir, command);
    if (await isExecutableFile(path)) return path;
  }
  throw notFound(command);
}

function notFound(command: string): TaskStartError {
  return new TaskStartError(`executable not found: ${command}`, false);
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
