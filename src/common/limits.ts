import { ValidationError } from "./errors.js";

/**
 * Every size limit on input that crosses a trust boundary, named once so that the sender and the
 * receiver of a message agree and docs/safe-defaults.md can list them. A limit protects the
 * process (memory, stack) and the stored state; anything above it is refused with a clear error,
 * never half-applied.
 */

/** An HTTP request body parsed as JSON (jobs, variables, namespaces, …). Nomad's job JSON is ≪ 1 MiB. */
export const MAX_HTTP_BODY_BYTES = 4 * 1024 * 1024;

/** An `application/octet-stream` HTTP body: a whole snapshot restore (`/v1/operator/snapshot`). */
export const MAX_HTTP_RAW_BODY_BYTES = 32 * 1024 * 1024;

/**
 * One gRPC message, received or sent, on every server and channel (Raft, server RPC, client fs).
 * Raft batches entries up to half of it and sends snapshots in 1 MiB chunks, so both always fit;
 * a server's RPC answers (a node's allocations, a plan) are far smaller.
 */
export const MAX_GRPC_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * Nesting depth of a decoded JSON body or msgpack message. Deeper input would exhaust the stack of
 * the recursive code that walks it (validation, canonicalisation, msgpack itself); no real job,
 * variable or command comes close.
 */
export const MAX_INPUT_DEPTH = 128;

/** A job file (HCL or JSON) as the CLI reads it and `/v1/jobs/parse` accepts it. */
export const MAX_JOB_FILE_BYTES = 1024 * 1024;

/** The keys plus values of one variable's Items, in bytes (Nomad's limit: 64 KiB). */
export const MAX_VARIABLE_BYTES = 64 * 1024;

/** The number of items in one variable. */
export const MAX_VARIABLE_ITEMS = 1024;

/**
 * Concurrent `/v1/event/stream` subscriptions on one agent. Over HTTP/1.1 a connection carries one
 * stream at a time, so this bounds what many connections can pin (a subscription holds a buffer
 * and a cursor into the broker's history); more are answered 429.
 */
export const MAX_EVENT_STREAMS = 256;

/** `?topic=` filters in one event stream subscription. */
export const MAX_EVENT_TOPICS_PER_STREAM = 64;

/**
 * Throws a ValidationError naming `where` if `value` (JSON-like: objects, arrays, scalars) nests
 * deeper than `maxDepth`. Iterative, so that the check itself cannot overflow the stack.
 */
export function checkDepth(value: unknown, where: string, maxDepth = MAX_INPUT_DEPTH): void {
  // Two parallel stacks rather than one of {value, depth} objects: this runs on every JSON body.
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const next = values.pop();
    const depth = depths.pop() as number;
    if (typeof next !== "object" || next === null || ArrayBuffer.isView(next)) continue;
    if (depth >= maxDepth) throw new ValidationError(`nested deeper than ${maxDepth} levels`, where);
    for (const child of Array.isArray(next) ? next : Object.values(next)) {
      if (typeof child !== "object" || child === null) continue;
      values.push(child);
      depths.push(depth + 1);
    }
  }
}

/**
 * Runs a decoder (msgpack, JSON) on input from outside: a stack overflow on pathological nesting
 * becomes a ValidationError for `where` instead of an unexplained fault.
 */
export function decodeBounded<T>(decode: () => T, where: string): T {
  try {
    return decode();
  } catch (error) {
    // Only a stack overflow means nesting: decoders throw RangeError for truncated input too.
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      throw new ValidationError(`input nested too deeply to decode`, where);
    }
    throw error;
  }
}
