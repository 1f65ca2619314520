import { ValidationError } from "./errors.js";

/**
 * Validation of names that come from users and end up in file paths, log file names or store keys:
 * job IDs, group and task names, node names, alloc ids, variable paths. Each check throws a
 * ValidationError (HTTP 400) that names the field, so a request is refused before anything is
 * stored or joined into a path. The client checks resolved paths again (alloc-dir.ts): a name
 * that is valid here is still never trusted to stay inside a directory on its own.
 */

/** The longest name accepted for a job, group, task or node (Nomad allows 128 for most of them). */
export const MAX_NAME_LENGTH = 128;

/** The longest variable path (Nomad's limit). */
export const MAX_VARIABLE_PATH_LENGTH = 128;

/** Variable paths as Nomad accepts them: letters, digits, `-`, `_`, `~` and `/` between segments. */
export const VARIABLE_PATH_RE = /^[a-zA-Z0-9\-_~/]+$/;

// Control characters (C0 and DEL), NUL included: never part of a name, and dangerous in logs.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point.
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

/**
 * Why `name` cannot be a single path component, or undefined when it can: not empty, not `.` or
 * `..`, no `/` or `\`, no NUL or other control character, at most `maxLength` characters.
 */
export function pathComponentProblem(name: unknown, maxLength = MAX_NAME_LENGTH): string | undefined {
  if (typeof name !== "string") return "must be a string";
  if (name === "") return "must not be empty";
  if (name === "." || name === "..") return `${JSON.stringify(name)} is not allowed`;
  if (name.includes("/") || name.includes("\\"))
    return `${JSON.stringify(name)} must not contain / or \\ (it names a directory or file)`;
  if (CONTROL_RE.test(name)) return `${JSON.stringify(name)} must not contain NUL or control characters`;
  if (name.length > maxLength) return `is ${name.length} characters long, at most ${maxLength} allowed`;
  return undefined;
}

/** Throws a ValidationError for `field` unless `name` is a single safe path component. */
export function validatePathComponent(name: unknown, field: string, maxLength = MAX_NAME_LENGTH): string {
  const problem = pathComponentProblem(name, maxLength);
  if (problem !== undefined) throw new ValidationError(problem, field);
  return name as string;
}

/**
 * Why `path` is not a valid variable path, or undefined: Nomad's characters, at most 128 of them,
 * relative (no leading `/`), and no empty segment (`a//b`, trailing `/`). `..` cannot occur since
 * `.` is not an allowed character; it is named in the message because that is what users try.
 */
export function variablePathProblem(path: unknown): string | undefined {
  if (typeof path !== "string") return "must be a string";
  if (path === "") return "must not be empty";
  if (path.length > MAX_VARIABLE_PATH_LENGTH)
    return `is ${path.length} characters long, at most ${MAX_VARIABLE_PATH_LENGTH} allowed`;
  if (!VARIABLE_PATH_RE.test(path)) {
    const why = path.split("/").includes("..") ? "must not contain .. segments; " : "";
    return `${JSON.stringify(path)} ${why}may only contain letters, digits, -, _, ~ and /`;
  }
  if (path.startsWith("/")) return `${JSON.stringify(path)} must be relative (no leading /)`;
  if (path.endsWith("/") || path.includes("//")) return `${JSON.stringify(path)} has an empty segment`;
  return undefined;
}

export function validateVariablePath(path: unknown, field = "Path"): string {
  const problem = variablePathProblem(path);
  if (problem !== undefined) throw new ValidationError(problem, field);
  return path as string;
}
