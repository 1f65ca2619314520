import { randomBytes } from "node:crypto";
import { NotFoundError, ValidationError } from "../common/errors.js";
import type { JobRegisterResult } from "../fsm/commands.js";
import type { StateReader } from "../fsm/state-reader.js";
import type { Job } from "../fsm/structs.js";
import type { DispatchResult } from "../rpc/server-api.js";
import type { ServerContext } from "./context.js";
import { childJobCommand } from "./periodic.js";

/** Nomad's DispatchPayloadSizeLimit: 16 KiB. */
export const DISPATCH_PAYLOAD_LIMIT_BYTES = 16 * 1024;

/**
 * Validates a dispatch of a parameterized job against its `parameterized` block (payload
 * required/forbidden and size, required and allowed meta keys) and builds the child job; throws
 * ValidationError (what and where) or NotFoundError.
 */
export function dispatchChild(
  state: StateReader,
  namespace: string,
  parentId: string,
  payload: Uint8Array,
  meta: Record<string, string>,
  childSuffix: string,
): Job {
  const parent = state.jobByID(namespace, parentId);
  if (parent === undefined) throw new NotFoundError(`job ${JSON.stringify(parentId)} not found`);
  const config = parent.ParameterizedJob;
  const where = `dispatch of job ${parentId}`;
  if (config === null) throw new ValidationError("job is not parameterized", where);
  if (parent.Stop) throw new ValidationError("job is stopped", where);
  if (config.Payload === "required" && payload.length === 0)
    throw new ValidationError("payload is required", where);
  if (config.Payload === "forbidden" && payload.length > 0)
    throw new ValidationError("payload is forbidden", where);
  if (payload.length > DISPATCH_PAYLOAD_LIMIT_BYTES) {
    throw new ValidationError(
      `payload of ${payload.length} bytes exceeds ${DISPATCH_PAYLOAD_LIMIT_BYTES}`,
      where,
    );
  }
  const missing = config.MetaRequired.filter((key) => !(key in meta));
  if (missing.length > 0) throw new ValidationError(`missing required meta: ${missing.join(", ")}`, where);
  const allowed = new Set([...config.MetaRequired, ...config.MetaOptional]);
  const unexpected = Object.keys(meta).filter((key) => !allowed.has(key));
  if (unexpected.length > 0)
    throw new ValidationError(`meta keys not allowed: ${unexpected.join(", ")}`, where);
  return {
    ...parent,
    ID: `${parentId}/dispatch-${childSuffix}`,
    Dispatched: true,
    Payload: Buffer.from(payload).toString("base64"),
    Meta: { ...parent.Meta, ...meta },
  };
}

/**
 * Dispatches a parameterized job (Nomad's Job.Dispatch): registers the child
 * `<parent>/dispatch-<unix>-<8 hex>` with an eval through Raft. The endpoint calls this on the
 * leader.
 */
export async function dispatchJob(
  ctx: ServerContext,
  namespace: string,
  parentId: string,
  payload: Uint8Array,
  meta: Record<string, string>,
): Promise<DispatchResult> {
  const now = ctx.clock.now();
  const suffix = `${Math.floor(now / 1e9)}-${randomBytes(4).toString("hex")}`;
  const child = dispatchChild(ctx.state(), namespace, parentId, payload, meta, suffix);
  const command = childJobCommand(child, child.ID, now, "job-register", {
    ParentID: parentId,
    Dispatched: true,
    Payload: child.Payload,
    Meta: child.Meta,
  });
  const committed = await ctx.propose(command);
  const result = committed.result as JobRegisterResult;
  return {
    DispatchedJobID: child.ID,
    EvalID: result.EvalID,
    EvalCreateIndex: result.EvalCreateIndex,
    JobCreateIndex: committed.index,
  };
}
