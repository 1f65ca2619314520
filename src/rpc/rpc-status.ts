import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { type ErrorKind, errorCode } from "../common/error-codes.js";
import {
  ConflictError,
  NotFoundError,
  NotLeaderError,
  PermissionDeniedError,
  PreconditionError,
  StaleEvalTokenError,
  TimeoutError,
  ValidationError,
} from "../common/errors.js";

/**
 * How typed errors cross the wire. The server turns an error into a gRPC status (plus a
 * `drover-error` metadata key naming the type, and the leader hint for NotLeaderError); the
 * client turns it back into the same typed error, so forwarding is transparent to callers.
 */
const KIND_KEY = "drover-error";
/**
 * Set on calls a server forwards to the leader. A server receiving a forwarded call runs it
 * locally or answers NotLeader: it never forwards again, so two servers with stale, crossed views
 * of the leader cannot bounce a request between them until its deadline (Nomad does the same).
 */
export const FORWARDED_KEY = "drover-forwarded";
const LEADER_ID_KEY = "drover-leader-id";
const LEADER_ADDR_KEY = "drover-leader-address";
const EVAL_ID_KEY = "drover-eval-id";

/** The remote server could not be reached, or answered with a fault. `code` is the gRPC status. */
export class RpcError extends Error {
  override name = "RpcError";
  constructor(
    message: string,
    readonly code: status,
    /** True when the call certainly never reached the server (connect failed): safe to retry. */
    readonly notSent: boolean,
  ) {
    super(message);
  }
}

export interface GrpcErrorLike {
  code: status;
  details: string;
  metadata: Metadata;
}

/** The error as a gRPC status: code and kind from the table in src/common/error-codes.ts. */
export function toGrpcError(error: unknown): Partial<ServiceError> {
  const metadata = new Metadata();
  const err = error instanceof Error ? error : new Error(String(error));
  const { kind, grpc } = errorCode(err);
  metadata.set(KIND_KEY, kind);
  if (err instanceof NotLeaderError) {
    if (err.leaderId !== undefined) metadata.set(LEADER_ID_KEY, err.leaderId);
    if (err.leaderAddress !== undefined) metadata.set(LEADER_ADDR_KEY, err.leaderAddress);
  }
  // The worker treats both stale tokens as "this delivery is no longer mine"; the eval id travels along.
  if (err instanceof StaleEvalTokenError) metadata.set(EVAL_ID_KEY, err.evalId);
  return { code: grpc, details: err.message, metadata };
}

function metaString(metadata: Metadata, key: string): string | undefined {
  const [value] = metadata.get(key);
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The typed error each kind is rebuilt as on the receiving side ("internal" becomes an RpcError). */
const DECODE: Record<Exclude<ErrorKind, "internal">, (error: GrpcErrorLike) => Error> = {
  "not-leader": (e) =>
    new NotLeaderError(metaString(e.metadata, LEADER_ID_KEY), metaString(e.metadata, LEADER_ADDR_KEY)),
  validation: (e) => new ValidationError(e.details),
  "not-found": (e) => new NotFoundError(e.details),
  conflict: (e) => new ConflictError(e.details),
  precondition: (e) => new PreconditionError(e.details),
  "permission-denied": (e) => new PermissionDeniedError(e.details),
  "stale-token": (e) => new StaleEvalTokenError(metaString(e.metadata, EVAL_ID_KEY) ?? "", e.details),
  timeout: (e) => new TimeoutError(e.details),
};

export function fromGrpcError(error: GrpcErrorLike): Error {
  const kind = metaString(error.metadata, KIND_KEY);
  if (kind !== undefined && Object.hasOwn(DECODE, kind)) return DECODE[kind as keyof typeof DECODE](error);
  // grpc-js reports a connection that was never established this way; the request was not
  // sent, so a retry cannot duplicate it.
  const notSent = error.code === status.UNAVAILABLE && /No connection established/i.test(error.details);
  return new RpcError(`rpc failed (${status[error.code]}): ${error.details}`, error.code, notSent);
}
