/**
 * Byte streams across the main ↔ Raft thread port (snapshots: main's FSM to the Raft thread's
 * file writer, a received snapshot from the Raft thread to main's FSM). The reader pulls: one
 * `pull` asks for one chunk, and the holder answers with one `chunk`. So at most one chunk per
 * stream is in flight and the holder reads its source only as fast as the reader consumes it
 * (backpressure without buffers that could grow). A chunk is copied once: by the port when it
 * is a whole buffer (which may still be the source's, so it is not transferred), else into a
 * buffer of its own that is transferred.
 *
 * One answer carries as many of the source's chunks as the holder reads within SERVE_BUDGET_MS
 * and SERVE_MAX_BYTES. Each pull waits for a turn of the holder's event loop, and on a busy main
 * thread a turn can take a second: with one small chunk per pull, a snapshot of a million
 * allocations (1,600 chunks of 128 KiB) took minutes, all the while keeping an old version of
 * the state alive. The source's chunks stay small, so no single read holds the loop long.
 */
import { errorFromWire, errorToWire, type StreamMessage } from "./protocol.js";

type Post = (message: StreamMessage, transfer?: ArrayBuffer[]) => void;

/** How long one answer may keep reading its source (checked between the source's chunks). */
const SERVE_BUDGET_MS = 20;
/** The most bytes one answer gathers. */
const SERVE_MAX_BYTES = 4 << 20;

/** The holding side: streams registered under an id, served one chunk per pull. */
export class StreamHost {
  private readonly streams = new Map<number, AsyncIterator<Uint8Array>>();
  /** Streams whose source ended after their last answer's bytes were read: the next pull ends. */
  private readonly ended = new Set<number>();
  private nextId = 1;

  constructor(private readonly post: Post) {}

  /** Registers `source`; the other side reads it with a RemoteStream of the returned id. */
  add(source: AsyncIterable<Uint8Array>): number {
    const id = this.nextId++;
    this.streams.set(id, source[Symbol.asyncIterator]());
    return id;
  }

  /** Handles `pull` and `cancel`; returns false for other messages. */
  handle(message: StreamMessage): boolean {
    if (message.type === "pull") {
      void this.serve(message.stream);
      return true;
    }
    if (message.type === "cancel") {
      const iterator = this.streams.get(message.stream);
      this.streams.delete(message.stream);
      this.ended.delete(message.stream);
      void iterator?.return?.().catch(() => undefined);
      return true;
    }
    return false;
  }

  private async serve(stream: number): Promise<void> {
    const iterator = this.streams.get(stream);
    if (iterator === undefined) {
      this.post({ type: "chunk", stream, error: { name: "Error", message: `no stream ${stream}` } });
      return;
    }
    if (this.ended.delete(stream)) {
      this.streams.delete(stream);
      this.post({ type: "chunk", stream, done: true });
      return;
    }
    try {
      const parts: Uint8Array[] = [];
      let bytes = 0;
      let done = false;
      const started = performance.now();
      do {
        const next = await iterator.next();
        if (next.done === true) {
          done = true;
          break;
        }
        parts.push(next.value);
        bytes += next.value.byteLength;
      } while (bytes < SERVE_MAX_BYTES && performance.now() - started < SERVE_BUDGET_MS);
      if (parts.length === 0) {
        this.streams.delete(stream);
        this.post({ type: "chunk", stream, done: true });
        return;
      }
      // The end, if reached, goes with the next pull (the reader asks again after this chunk).
      if (done) this.ended.add(stream);
      const joined = parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts, bytes);
      const whole = joined.byteOffset === 0 && joined.byteLength === joined.buffer.byteLength;
      if (whole && parts.length === 1) {
        // The source's own buffer (it may still use it): the port copies it, no transfer.
        this.post({ type: "chunk", stream, chunk: joined });
      } else {
        // A view of part of a larger buffer (a source's, or Buffer's shared pool) would be cloned
        // whole and a transfer would empty it: copy the bytes once into a buffer of their own.
        const own = whole ? joined : new Uint8Array(joined);
        this.post({ type: "chunk", stream, chunk: own }, [own.buffer as ArrayBuffer]);
      }
    } catch (error) {
      this.streams.delete(stream);
      this.post({ type: "chunk", stream, error: errorToWire(error) });
    }
  }

  /** Drops every stream (the other side is gone). */
  clear(): void {
    for (const iterator of this.streams.values()) void iterator.return?.().catch(() => undefined);
    this.streams.clear();
    this.ended.clear();
  }
}

/** The reading side: turns pulls and their chunks into an async iterable. */
export class StreamReader {
  private readonly waiting = new Map<
    number,
    { resolve: (chunk: Uint8Array | undefined) => void; reject: (error: Error) => void }
  >();

  constructor(private readonly post: Post) {}

  /** Reads the other side's stream `stream` to its end (once). */
  read(stream: number): AsyncIterable<Uint8Array> {
    const self = this;
    return {
      [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
        let finished = false;
        return {
          async next(): Promise<IteratorResult<Uint8Array>> {
            if (finished) return { done: true, value: undefined };
            const chunk = await new Promise<Uint8Array | undefined>((resolve, reject) => {
              self.waiting.set(stream, { resolve, reject });
              self.post({ type: "pull", stream });
            }).catch((error: unknown) => {
              finished = true;
              throw error;
            });
            if (chunk === undefined) {
              finished = true;
              return { done: true, value: undefined };
            }
            return { done: false, value: chunk };
          },
          async return(): Promise<IteratorResult<Uint8Array>> {
            if (!finished) {
              finished = true;
              self.post({ type: "cancel", stream });
            }
            return { done: true, value: undefined };
          },
        };
      },
    };
  }

  /** Handles `chunk`; returns false for other messages. */
  handle(message: StreamMessage): boolean {
    if (message.type !== "chunk") return false;
    const waiter = this.waiting.get(message.stream);
    if (waiter === undefined) return true;
    this.waiting.delete(message.stream);
    if (message.error !== undefined) waiter.reject(errorFromWire(message.error));
    else if (message.done === true) waiter.resolve(undefined);
    else waiter.resolve(message.chunk ?? new Uint8Array(0));
    return true;
  }

  /** Fails every read in progress (the other side is gone). */
  failAll(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
