/** Errors that callers are expected to handle, each with the data needed to act on it. */

export class NotLeaderError extends Error {
  override name = "NotLeaderError";
  constructor(
    readonly leaderId: string | undefined,
    readonly leaderAddress: string | undefined = undefined,
  ) {
    super(leaderId === undefined ? "no known leader" : `not the leader; leader is ${leaderId}`);
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
