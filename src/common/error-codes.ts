import { status } from "@grpc/grpc-js";
import {
  ConflictError,
  NotFoundError,
  NotLeaderError,
  PermissionDeniedError,
  PreconditionError,
  StaleEvalTokenError,
  StalePlanError,
  TaskStartError,
  TimeoutError,
  ValidationError,
} from "./errors.js";

/**
 * The name of an error on the wire (the `drover-error` gRPC metadata key, see
 * src/rpc/rpc-status.ts): the receiving side rebuilds the typed error from it. "internal" is
 * every error that is not one of the typed errors below: a fault, not an answer.
 */
export type ErrorKind =
  | "not-leader"
  | "timeout"
  | "validation"
  | "not-found"
  | "conflict"
  | "precondition"
  | "permission-denied"
  | "stale-token"
  | "internal";

/** How one kind of error is answered on each transport. */
export interface ErrorCode {
  readonly kind: ErrorKind;
  /** The HTTP status of the API's answer (src/api/http-server.ts). */
  readonly http: number;
  /** The gRPC status of the RPC's answer (src/rpc/rpc-status.ts, src/raft/operator-service.ts). */
  readonly grpc: status;
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** What every error that is not in the table is: a fault (500, logged with a request id; INTERNAL). */
export const INTERNAL_ERROR: ErrorCode = { kind: "internal", http: 500, grpc: status.INTERNAL };

/**
 * The one table from typed error (src/common/errors.ts) to its answer. A subclass answers as its
 * nearest listed ancestor unless it is listed itself: JobSpecError (src/jobspec) and
 * TaskConfigError are ValidationErrors.
 *
 * - NotLeaderError and TimeoutError are both "no leader answered in time": 503, and UNAVAILABLE /
 *   DEADLINE_EXCEEDED so that gRPC callers can tell the two apart.
 * - ConflictError is ABORTED, gRPC's code for a failed test-and-set ("retry at a higher level":
 *   read again, then write), not FAILED_PRECONDITION ("do not retry until the state is fixed"),
 *   which is what PreconditionError means.
 * - The stale tokens say "this eval delivery is no longer yours"; the worker drops the eval. They
 *   travel as one kind (StalePlanError arrives as a StaleEvalTokenError). No HTTP route can raise
 *   them; 409 says the same thing to HTTP.
 * - TaskStartError is a client's own error (a driver could not start a task) and never answers a
 *   request; it is listed to say that it is a fault if it ever does.
 */
export const ERROR_CODES: ReadonlyArray<readonly [ErrorClass, ErrorCode]> = [
  [NotLeaderError, { kind: "not-leader", http: 503, grpc: status.UNAVAILABLE }],
  [TimeoutError, { kind: "timeout", http: 503, grpc: status.DEADLINE_EXCEEDED }],
  [ValidationError, { kind: "validation", http: 400, grpc: status.INVALID_ARGUMENT }],
  [NotFoundError, { kind: "not-found", http: 404, grpc: status.NOT_FOUND }],
  [ConflictError, { kind: "conflict", http: 409, grpc: status.ABORTED }],
  [PreconditionError, { kind: "precondition", http: 412, grpc: status.FAILED_PRECONDITION }],
  [PermissionDeniedError, { kind: "permission-denied", http: 403, grpc: status.PERMISSION_DENIED }],
  [StaleEvalTokenError, { kind: "stale-token", http: 409, grpc: status.FAILED_PRECONDITION }],
  [StalePlanError, { kind: "stale-token", http: 409, grpc: status.FAILED_PRECONDITION }],
  [TaskStartError, INTERNAL_ERROR],
];

const BY_CLASS = new Map<unknown, ErrorCode>(ERROR_CODES);

/** The answer to `error`: its class's entry, else its nearest listed ancestor's, else INTERNAL_ERROR. */
export function errorCode(error: unknown): ErrorCode {
  if (typeof error !== "object" || error === null) return INTERNAL_ERROR;
  for (
    let proto: object | null = Object.getPrototypeOf(error);
    proto !== null;
    proto = Object.getPrototypeOf(proto)
  ) {
    const code = BY_CLASS.get(proto.constructor);
    if (code !== undefined) return code;
  }
  return INTERNAL_ERROR;
}
