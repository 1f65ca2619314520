import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import {
  NotFoundError,
  NotLeaderError,
  PreconditionError,
  StaleEvalTokenError,
  StalePlanError,
  TimeoutError,
  ValidationError,
} from "../shared/errors.js";

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

export function toGrpcError(error: unknown): Partial<ServiceError> {
  const metadata = new Metadata();
  const err = error instanceof Error ? error : new Error(String(error));
  const withKind = (code: status, kind: string): Partial<ServiceError> => {
    metadata.set(KIND_KEY, kind);
    return { code, details: err.message, metadata };
  };
  if (err instanceof NotLeaderError) {
    if (err.leaderId !== undefined) metadata.set(LEADER_ID_KEY, err.leaderId);
    if (err.leaderAddress !== undefined) metadata.set(LEADER_ADDR_KEY, err.leaderAddress);
    return withKind(status.UNAVAILABLE, "not-leader");
  }
  if (err instanceof ValidationError) return withKind(status.INVALID_ARGUMENT, "validation");
  if (err instanceof NotFoundError) return withKind(status.NOT_FOUND, "not-found");
  if (err instanceof PreconditionError) return withKind(status.FAILED_PRECONDITION, "precondition");
  if (err instanceof StaleEvalTokenError || err instanceof StalePlanError) {
    // The worker treats both as "this delivery is no longer mine"; the eval id travels along.
    if (err instanceof StaleEvalTokenError) metadata.set(EVAL_ID_KEY, err.evalId);
    return withKind(status.FAILED_PRECONDITION, "stale-token");
  }
  if (err instanceof TimeoutError) return withKind(status.DEADLINE_EXCEEDED, "timeout");
  return withKind(status.INTERNAL, "internal");
}

function metaString(metadata: Metadata, key: string): string | undefined {
  const [value] = metadata.get(key);
  return typeof value === "string" && value !== "" ? value : undefined;
}

export function fromGrpcError(error: GrpcErrorLike): Error {
  const kind = metaString(error.metadata, KIND_KEY);
  switch (kind) {
    case "not-leader":
      return new NotLeaderError(
        metaString(error.metadata, LEADER_ID_KEY),
        metaString(error.metadata, LEADER_ADDR_KEY),
      );
    case "validation":
      return new ValidationError(error.details);
    case "not-found":
      return new NotFoundError(error.details);
    case "precondition":
      return new PreconditionError(error.details);
    case "stale-token":
      return new StaleEvalTokenError(metaString(error.metadata, EVAL_ID_KEY) ?? "", error.details);
    case "timeout":
      return new TimeoutError(error.details);
    default: {
      // grpc-js reports a connection that was never established this way; the request was not
      // sent, so a retry cannot duplicate it.
      const notSent = error.code === status.UNAVAILABLE && /No connection established/i.test(error.details);
      return new RpcError(`rpc failed (${status[error.code]}): ${error.details}`, error.code, notSent);
    }
  }
}
