import { ValidationError } from "../../common/errors.js";

/**
 * Validation of what is asked of a task's log, shared by every way in (the reader, the ClientFs
 * gRPC service, the HTTP route), so that bad input gets the same answer everywhere. `where` names
 * the input as the caller's user sees it (`?task` over HTTP, `task` over gRPC).
 */

export type LogType = "stdout" | "stderr";
export type LogOrigin = "start" | "end";

/**
 * A task name is used as a path component (`<logDir>/<task>.stdout.0`): it must not leave the log
 * dir nor name another file. Nomad's task names are free-form, but these cannot be valid anyway.
 */
export function validateTaskName(task: unknown, where = "task"): string {
  if (typeof task !== "string" || task === "") throw new ValidationError("task name is required", where);
  if (task.includes("/") || task.includes("\\") || task.includes("\0") || task === "." || task === "..") {
    throw new ValidationError(`task name ${JSON.stringify(task)} is not a valid path component`, where);
  }
  if (task.length > 255) throw new ValidationError("task name is longer than 255 characters", where);
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
