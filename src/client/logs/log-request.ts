import { ValidationError } from "../../common/errors.js";
import { pathComponentProblem } from "../../common/names.js";

/**
 * Validation of what is asked of a task's log, shared by every way in (the reader, the ClientFs
 * gRPC service, the HTTP route), so that bad input gets the same answer everywhere. `where` names
 * the input as the caller's user sees it (`?task` over HTTP, `task` over gRPC).
 */

export type LogType = "stdout" | "stderr";
export type LogOrigin = "start" | "end";

/**
 * A task name is used as a path component (`<logDir>/<task>.stdout.0`): it must not leave the log
 * dir nor name another file. The same rule the job spec applies to task names at register.
 */
export function validateTaskName(task: unknown, where = "task"): string {
  if (typeof task !== "string" || task === "") throw new ValidationError("task name is required", where);
  const problem = pathComponentProblem(task);
  if (problem !== undefined)
    throw new ValidationError(`task name is not a valid path component: ${problem}`, where);
  return task;
}

export function validateLogType(type: unknown, where = "type"): LogType {
  if (type !== "stdout" && type !== "stderr") {
    throw new ValidationError(`log type must be "stdout" or "stderr", got ${JSON.stringify(type)}`, where);
  }
  return type;
}

export function validateOrigin(origin: unknown, where = "origin"): LogOrigin {
  if (origin !== "start" && origin !== "end") {
    throw new ValidationError(`must be "start" or "end", got ${JSON.stringify(origin)}`, where);
  }
  return origin;
}

export function validateOffset(offset: unknown, where = "offset"): number {
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
    throw new ValidationError(`must be an integer ≥ 0, got ${JSON.stringify(offset)}`, where);
  }
  return offset;
}
