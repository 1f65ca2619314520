/**
 * The event stream's broker (Nomad's stream.EventBroker): every server keeps a bounded buffer of
 * the events of its own recently applied entries, one batch per Raft index, and hands them to
 * subscribers in index order. Nothing is replicated or forwarded for it: each server's FSM
 * applies the same entries, so each server builds the same events.
 *
 * A subscriber reads at its own pace. It may start at an older index still in the buffer
 * (`index=`, resuming a stream); one that asks for an index the buffer no longer holds starts at
 * the oldest batch held (as Nomad does). A subscriber that falls so far behind that the batch it
 * would read next has been evicted is closed with a reason: silently skipping events would hand
 * it a wrong picture of the cluster.
 */

export const EVENT_TOPICS = ["Job", "Evaluation", "Allocation", "Deployment", "Node", "Namespace"] as const;
export type EventTopic = (typeof EVENT_TOPICS)[number];

export interface StreamEvent {
  readonly Topic: EventTopic;
  /** Nomad's event type: JobRegistered, EvaluationUpdated, PlanResult, NodeRegistration, … */
  readonly Type: string;
  /** The object's ID. */
  readonly Key: string;
  /** Other keys a `Topic:key` filter matches (an allocation's job, an evaluation's deployment). */
  readonly FilterKeys: readonly string[];
  /** "" for objects outside namespaces (nodes, namespaces themselves). */
  readonly Namespace: string;
  readonly Index: number;
  /** `{Job: …}`, `{Allocation: …}`, …: the object as the entry left it. */
  readonly Payload: Readonly<Record<string, unknown>>;
}

/** The events of one applied Raft entry. */
export interface EventBatch {
  readonly Index: number;
  readonly Events: readonly StreamEvent[];
}

/**
 * Which events a subscriber wants: topic → keys, where the key "*" (and the topic "*") match
 * everything; `namespace` "*" matches every namespace (objects outside namespaces always match).
 */
export interface SubscribeRequest {
  readonly topics: ReadonlyMap<string, ReadonlySet<string>>;
  readonly namespace: string;
  /** Start at the first batch with Index ≥ this; 0: only batches published after subscribing. */
  readonly index: number;
}

export type NextResult =
  | { readonly kind: "batch"; readonly batch: EventBatch }
  | { readonly kind: "closed"; readonly reason: string };

export interface EventBrokerOptions {
  /** Events held for late and resuming subscribers (oldest batches go first); default 16,384. */
  readonly maxEvents?: number;
}

const DEFAULT_MAX_EVENTS = 16_384;

/** Does `event` pass the subscriber's filter? */
export function eventMatches(event: StreamEvent, request: SubscribeRequest): boolean {
  if (request.namespace !== "*" && event.Namespace !== "" && event.Namespace !== request.namespace) {
    return false;
  }
  for (const topic of [event.Topic, "*"]) {
    const keys = request.topics.get(topic);
    if (keys === undefined) continue;
    if (keys.has("*") || keys.has(event.Key)) return true;
    for (const key of event.FilterKeys) if (keys.has(key)) return true;
  }
  return false;
}

export class EventBroker {
  private readonly maxEvents: number;
  /**
   * Buffered batches; `batches[head]` has sequence number `firstSeq`. Slots below `head` are
   * emptied as batches are evicted: an evicted batch must not stay reachable until the array is
   * next compacted, since each event holds the object its entry wrote (a 1,000-alloc plan is a
   * thousand allocations).
   */
  private batches: (EventBatch | undefined)[] = [];
  private head = 0;
  private firstSeq = 0;
  private heldEvents = 0;
  private readonly subscriptions = new Set<Subscription>();

  constructor(options: EventBrokerOptions = {}) {
    this.maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
  }

  /** Sequence number the next published batch gets. */
  get nextSeq(): number {
    return this.firstSeq + this.batches.length - this.head;
  }

  /** Index of the newest batch held (0 when none). */
  lastIndex(): number {
    return this.batches.length > this.head ? (this.batches[this.batches.length - 1] as EventBatch).Index : 0;
  }

  /** Index of the oldest batch held (0 when none). */
  firstIndex(): number {
    return this.batches.length > this.head ? (this.batches[this.head] as EventBatch).Index : 0;
  }

  subscriberCount(): number {
    return this.subscriptions.size;
  }

  /** Adds the events of one applied entry (index order; empty batches are dropped). */
  publish(batch: EventBatch): void {
    if (batch.Events.length === 0) return;
    this.batches.push(batch);
    this.heldEvents += batch.Events.length;
    // Keep at least the newest batch, however large (a 1,000-alloc plan is one batch).
    while (this.heldEvents > this.maxEvents && this.batches.length - this.head > 1) {
      const old = this.batches[this.head] as EventBatch;
      this.heldEvents -= old.Events.length;
      this.batches[this.head] = undefined;
      this.head += 1;
      this.firstSeq += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.batches.length) {
      this.batches = this.batches.slice(this.head);
      this.head = 0;
    }
    for (const sub of this.subscriptions) sub.wake();
  }

  subscribe(request: SubscribeRequest): Subscription {
    const sub = new Subscription(this, request, this.startSeq(request.index));
    this.subscriptions.add(sub);
    return sub;
  }

  /**
   * Ends every subscription with `reason` and forgets the buffer: the state jumped (a snapshot
   * was installed or restored) without events, so no subscriber's picture can be kept up to date.
   */
  reset(reason: string): void {
    this.firstSeq = this.nextSeq;
    this.batches = [];
    this.head = 0;
    this.heldEvents = 0;
    for (const sub of [...this.subscriptions]) sub.close(reason);
  }

  /** The batch with sequence number `seq`: a batch, "evicted", or "pending" (not published yet). */
  batchAt(seq: number): EventBatch | "evicted" | "pending" {
    if (seq < this.firstSeq) return "evicted";
    const batch = this.batches[this.head + (seq - this.firstSeq)];
    return batch ?? "pending";
  }

  /** @internal */
  forget(sub: Subscription): void {
    this.subscriptions.delete(sub);
  }

  private startSeq(index: number): number {
    if (index <= 0) return this.nextSeq;
    // Binary search for the first batch with Index ≥ index (indexes increase with seq).
    let lo = this.head;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.batches[mid] as EventBatch).Index < index) lo = mid + 1;
      else hi = mid;
    }
    return this.firstSeq + (lo - this.head);
  }
}

/** One subscriber's cursor into the broker. */
export class Subscription {
  private closedReason: string | undefined;
  private waiter: (() => void) | undefined;

  constructor(
    private readonly broker: EventBroker,
    readonly request: SubscribeRequest,
    private seq: number,
  ) {}

  /**
   * The next batch with at least one matching event (only the matching events), waiting for one
   * to be published; or why the subscription ended (lagged behind the buffer, reset, closed,
   * aborted).
   */
  async next(signal?: AbortSignal): Promise<NextResult> {
    for (;;) {
      if (this.closedReason !== undefined) return { kind: "closed", reason: this.closedReason };
      if (signal?.aborted === true) return { kind: "closed", reason: "aborted" };
      const batch = this.broker.batchAt(this.seq);
      if (batch === "evicted") {
        this.close(
          "subscriber fell behind the event buffer and missed events; read the current state and subscribe again",
        );
        continue;
      }
      if (batch !== "pending") {
        this.seq += 1;
        const events = batch.Events.filter((e) => eventMatches(e, this.request));
        if (events.length === 0) continue;
        return {
          kind: "batch",
          batch: events.length === batch.Events.length ? batch : { Index: batch.Index, Events: events },
        };
      }
      await new Promise<void>((resolve) => {
        const onAbort = (): void => resolve();
        signal?.addEventListener("abort", onAbort, { once: true });
        this.waiter = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** @internal Called by the broker when something changed. */
  wake(): void {
    this.waiter?.();
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  close(reason = "closed"): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.broker.forget(this);
    this.wake();
  }
}
