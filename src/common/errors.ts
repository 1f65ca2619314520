/**
 * Errors that callers are expected to handle, each with the data needed to act on it. How each one
 * is answered over HTTP and gRPC is the table in error-codes.ts.
 */

export class NotLeaderError extends Error {
  override name = "NotLeaderError";
  constructor(
    readonly leaderId: string | undefined,
    readonly leaderAddress: string | undefined = undefined,
  ) {
    super(leaderId === undefined ? "no known leader" : `not the leader; leader is ${leaderId}`);
  }
}

/**
 * The server is shutting down and takes no more writes. It answers as a NotLeaderError with no
 * leader (503, UNAVAILABLE): the caller tries another server.
 */
export class ServerStoppingError extends NotLeaderError {
  override name = "ServerStoppingError";
  constructor() {
    super(undefined);
    this.message = "the server is shutting down";
  }
}

export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/** Bad input from outside: says what and where. Maps to HTTP 400 and CLI exit 1. */
export class ValidationError extends Error {
  override name = "ValidationError";
  constructor(
    message: string,
    readonly where: string | undefined = undefined,
  ) {
    super(where === undefined ? message : `${where}: ${message}`);
  }
}

export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/** An ack/nack/reset with a token that does not match the eval's outstanding delivery. */
export class StaleEvalTokenError extends Error {
  override name = "StaleEvalTokenError";
  constructor(
    readonly evalId: string,
    why: string,
  ) {
    super(`eval ${evalId}: ${why}`);
  }
}

/** A plan whose eval token is no longer the outstanding delivery (the worker lost the eval). */
export class StalePlanError extends Error {
  override name = "StalePlanError";
  constructor(evalId: string) {
    super(`plan for eval ${evalId}: the eval token is no longer outstanding`);
  }
}

/**
 * A request whose precondition on the current state fails (wrong node secret, an alloc that is not
 * the calling node's): retrying it unchanged cannot succeed.
 */
export class PreconditionError extends Error {
  override name = "PreconditionError";
}

/**
 * The request's ACL token does not allow it (or is unknown or expired): 403. The message names
 * what was missing ("Permission denied: missing capability submit-job on namespace default").
 */
export class PermissionDeniedError extends Error {
  override name = "PermissionDeniedError";
}

/**
 * A check-and-set write that lost to a newer write (a stale EnforceIndex on job register): the
 * caller should read the current state and retry its read-modify-write. The message names the
 * current index.
 */
export class ConflictError extends Error {
  override name = "ConflictError";
}

/**
 * A task's `config` block is invalid for its driver; `field` names the offending key. The task
 * fails with an event that says so (it would fail the same way on every attempt).
 */
export class TaskConfigError extends ValidationError {
  override name = "TaskConfigError";
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message, `config.${field}`);
  }
}

/**
 * A driver could not start a task (executable not found, permission denied, image missing).
 * `recoverable` says whether the restart policy may try again (false for a missing executable).
 */
export class TaskStartError extends Error {
  override name = "TaskStartError";
  constructor(
    message: string,
    readonly recoverable: boolean,
  ) {
    super(message);
  }
}
