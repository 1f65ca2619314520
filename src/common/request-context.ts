import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The ID of the request being served, carried through the asynchronous work it starts: set where a
 * request enters (an HTTP request, a forwarded gRPC call), read where it leaves (the gRPC client
 * sends it on as `x-request-id` metadata) and where it is logged (createLogger's mixin adds it to
 * every line written on its behalf).
 *
 * Timers and connections first created while a request is served inherit its ID (that is how
 * AsyncLocalStorage works): long-lived helpers should be created outside requests where it matters.
 */
/** `undefined` as a store means "no request" (see outsideRequest). */
const storage = new AsyncLocalStorage<string | undefined>();

/** The gRPC metadata key (and, in HTTP, the header `X-Request-ID`) a request ID travels in. */
export const REQUEST_ID_KEY = "x-request-id";

/** IDs from outside are bounded and plain, so that a header cannot forge log lines or fields. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** The ID of the request this code runs for, if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore();
}

/** Runs `fn` (and whatever asynchronous work it starts) on behalf of request `id`. */
export function withRequestId<T>(id: string, fn: () => T): T {
  return storage.run(id, fn);
}

/** `value` when it is usable as a request ID (as received from a client or a peer), else undefined. */
export function acceptableRequestId(value: unknown): string | undefined {
  return typeof value === "string" && ACCEPTABLE_ID.test(value) ? value : undefined;
}

/**
 * Runs `fn` on behalf of no request: for work shared by many requests (a Raft Ready loop, a write
 * batch) that one of them happens to trigger, whose lines must not carry that one's ID.
 */
export function outsideRequest<T>(fn: () => T): T {
  // run(undefined), not exit(): exit() disables the store for the call, and when it is the only
  // one enabled that switches Node's async hooks off and on again — on every Raft Ready kick, a
  // measurable share of a server's main thread. Outside a request run() is a plain call.
  return storage.run(undefined, fn);
}

/** What request-ID helpers read of a gRPC call's metadata (grpc-js's Metadata fits). */
interface CallMetadata {
  get(key: string): unknown[];
}

/** The request ID a gRPC call carries (sent by the agent that took the request), if usable. */
export function callRequestId(metadata: CallMetadata): string | undefined {
  return acceptableRequestId(metadata.get(REQUEST_ID_KEY)[0]);
}

/** Runs `fn` on behalf of the request a gRPC call carries the ID of, if it carries one. */
export function servingCall<T>(metadata: CallMetadata, fn: () => T): T {
  const id = callRequestId(metadata);
  return id === undefined ? fn() : storage.run(id, fn);
}

/**
 * The ACL token (the bearer secret) of the request being served, carried like its ID: set where
 * a request enters (the HTTP layer, the gRPC service), sent on by the gRPC client as
 * `x-nomad-token` metadata when a request is forwarded, so that the server that serves it checks
 * the caller's token. Never logged (the logger redacts the header; nothing reads this for logs).
 */
const tokenStorage = new AsyncLocalStorage<string | undefined>();

/** The gRPC metadata key (and, in HTTP, the header `X-Nomad-Token`) an ACL token travels in. */
export const TOKEN_KEY = "x-nomad-token";

/** The token of the request this code runs for, if it carried one. */
export function currentToken(): string | undefined {
  return tokenStorage.getStore();
}

/** Runs `fn` (and the asynchronous work it starts) on behalf of a request carrying `token`. */
export function withToken<T>(token: string | undefined, fn: () => T): T {
  // No token: run with none (as outsideRequest does, without exit()'s async-hook toggling).
  return tokenStorage.run(token, fn);
}

/** The token a gRPC call carries, if any. */
export function callToken(metadata: CallMetadata): string | undefined {
  const value = metadata.get(TOKEN_KEY)[0];
  return typeof value === "string" && value !== "" ? value : undefined;
}
