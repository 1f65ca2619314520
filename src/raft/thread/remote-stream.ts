/**
 * Byte streams across the main ↔ Raft thread port (snapshots: main's FSM to the Raft thread's
 * file writer, a received snapshot from the Raft thread to main's FSM). The reader pulls: one
 * `pull` asks for one chunk, and the holder answers with one `chunk`. So at most one chunk per
 * stream is in flight and the holder reads its source only as fast as the reader consumes it
 * (backpressure without buffers that could grow). A chunk is copied once: by the port when it
 * is a whole buffer (which may still be the source's, so it is not transferred), else into a
 * buffer of its own that is transferred.
 */
import { errorFromWire, errorToWire, type StreamMessage } from "./protocol.js";

type Post = (message: StreamMessage, transfer?: ArrayBuffer[]) => void;

/** The holding side: streams registered under an id, served one chunk per pull. */
export class StreamHost {
  private readonly streams = new Map<number, AsyncIterator<Uint8Array>>();
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
    try {
      const next = await iterator.next();
      if (next.done === true) {
        this.streams.delete(stream);
        this.post({ type: "chunk", stream, done: true });
      } else {
        // A view of part of a larger buffer would be cloned whole: copy its bytes once into a
        // buffer of their own and hand that over instead.
        const chunk = next.value;
        if (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength) {
          this.post({ type: "chunk", stream, chunk });
        } else {
          // A copy (a Buffer's slice() would share, and the transfer would empty the source).
          const own = new Uint8Array(chunk);
          this.post({ type: "chunk", stream, chunk: own }, [own.buffer]);
        }
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
