import { ValidationError } from "../common/errors.js";
import { MAX_EVENT_STREAMS, MAX_EVENT_TOPICS_PER_STREAM } from "../common/limits.js";
import type { Allocation, Deployment, Evaluation, Node } from "../fsm/structs.js";
import {
  EVENT_TOPICS,
  type EventBatch,
  type EventBroker,
  type NextResult,
  type StreamEvent,
  type SubscribeRequest,
} from "../server/events/event-broker.js";
import { publicAlloc, publicDeployment, publicEval, publicNode } from "./api-shapes.js";
import { HttpError } from "./http-error.js";
import type { ApiResponse, Handler } from "./http-server.js";
import { intParam } from "./query-params.js";
import type { Router } from "./router.js";

export interface EventRouteOptions {
  /** Nomad sends `{}` every 10 s so that clients and proxies see a live stream. */
  heartbeatMs?: number;
  /** Concurrent streams on this agent before new ones get a 429 (MAX_EVENT_STREAMS). */
  maxStreams?: number;
}

/**
 * `?topic=Job:web&topic=Allocation:*` (topic `*` = every topic; no topic = everything),
 * `?namespace=` (default "default", `*` = all), `?index=` (start at this index).
 */
export function subscribeRequest(query: URLSearchParams): SubscribeRequest {
  const topics = new Map<string, Set<string>>();
  const filters = query.getAll("topic");
  if (filters.length > MAX_EVENT_TOPICS_PER_STREAM)
    throw new ValidationError(
      `${filters.length} filters, at most ${MAX_EVENT_TOPICS_PER_STREAM} allowed`,
      "?topic",
    );
  for (const raw of filters) {
    const cut = raw.indexOf(":");
    const topic = cut < 0 ? raw : raw.slice(0, cut);
    const key = cut < 0 || raw.slice(cut + 1) === "" ? "*" : raw.slice(cut + 1);
    if (topic !== "*" && !(EVENT_TOPICS as readonly string[]).includes(topic)) {
      throw new ValidationError(
        `unknown topic ${JSON.stringify(topic)} (one of ${EVENT_TOPICS.join(", ")}, or *)`,
        "?topic",
      );
    }
    let keys = topics.get(topic);
    if (keys === undefined) {
      keys = new Set();
      topics.set(topic, keys);
    }
    keys.add(key);
  }
  if (topics.size === 0) topics.set("*", new Set(["*"]));
  return { topics, namespace: query.get("namespace") || "default", index: intParam(query, "index") ?? 0 };
}

/** The payload's objects as the API shows them (no node SecretID; Nomad's time.Time fields). */
function wirePayload(payload: StreamEvent["Payload"]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...payload };
  const { Node: node, Allocation: alloc, Evaluation: evaluation, Deployment: deployment } = payload;
  if (node !== undefined) out["Node"] = publicNode(node as Node);
  if (alloc !== undefined) out["Allocation"] = publicAlloc(alloc as Allocation);
  if (evaluation !== undefined) out["Evaluation"] = publicEval(evaluation as Evaluation);
  if (deployment !== undefined) out["Deployment"] = publicDeployment(deployment as Deployment);
  return out;
}

function wireEvent(event: StreamEvent): Record<string, unknown> {
  return {
    Topic: event.Topic,
    Type: event.Type,
    Key: event.Key,
    FilterKeys: event.FilterKeys,
    Namespace: event.Namespace,
    Index: event.Index,
    Payload: wirePayload(event.Payload),
  };
}

export function eventLine(batch: EventBatch): string {
  return `${JSON.stringify({ Index: batch.Index, Events: batch.Events.map(wireEvent) })}\n`;
}

/** Nomad's `GET /v1/event/stream`: ndjson, one line per index, `{}` heartbeats. */
export function addEventRoutes(
  router: Router<Handler>,
  broker: EventBroker,
  options: EventRouteOptions = {},
): Router<Handler> {
  const heartbeatMs = options.heartbeatMs ?? 10_000;
  const maxStreams = options.maxStreams ?? MAX_EVENT_STREAMS;
  let open = 0;
  router.add("GET", "/v1/event/stream", async (req): Promise<ApiResponse> => {
    const request = subscribeRequest(req.query);
    if (open >= maxStreams)
      throw new HttpError(429, `too many event streams on this agent (at most ${maxStreams}); retry later`);
    const sub = broker.subscribe(request);
    open++;
    let closed = false;
    // Every way a stream ends comes through here exactly once, so `open` stays exact.
    const close = (): void => {
      if (closed) return;
      closed = true;
      open--;
      sub.close();
    };
    const controller = new AbortController();
    let pending: Promise<NextResult> | undefined;
    let done = false;
    const finish = (): IteratorResult<string> => {
      done = true;
      controller.abort();
      close();
      return { done: true, value: undefined };
    };
    // Hand-written rather than a generator: a generator's return() would wait for the step in
    // progress (a quiet stream waits for an event as long as it takes), this one ends it at once.
    const iterator: AsyncIterator<string> = {
      async next(): Promise<IteratorResult<string>> {
        if (done) return { done: true, value: undefined };
        pending ??= sub.next(controller.signal);
        let timer: NodeJS.Timeout | undefined;
        const beat = new Promise<"heartbeat">((resolve) => {
          timer = setTimeout(() => resolve("heartbeat"), heartbeatMs);
        });
        const step = await Promise.race([pending, beat]);
        clearTimeout(timer);
        if (step === "heartbeat") return { done: false, value: "{}\n" };
        pending = undefined;
        if (step.kind === "batch") return { done: false, value: eventLine(step.batch) };
        if (done || step.reason === "aborted") return finish();
        // Nomad ends a closed subscription with an error; the client re-reads state and resubscribes.
        done = true;
        close();
        return { done: false, value: `${JSON.stringify({ Error: step.reason })}\n` };
      },
      async return(): Promise<IteratorResult<string>> {
        return finish();
      },
    };
    return {
      stream: { [Symbol.asyncIterator]: () => iterator },
      contentType: "application/json",
      meta: { index: broker.lastIndex(), knownLeader: true, lastContactMs: 0 },
    };
  });
  return router;
}
