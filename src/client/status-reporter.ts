import type { Logger } from "../common/log.js";
import type { AllocClientFields } from "../rpc/server-api.js";
import { callAnyServer, type ServerList } from "./servers/server-list.js";

export interface StatusReporterOptions {
  servers: ServerList;
  nodeId: string;
  secretId: string;
  logger: Logger;
  /** How long changes gather before one batch goes out (Nomad batches for 200 ms). */
  windowMs?: number;
}

/**
 * Sends the client's allocation updates (status, task states, deployment health) to the servers
 * in batches: every change queued within one window goes in one AllocClientUpdate, and only the
 * latest fields of each allocation are sent. A batch that fails stays queued (newer fields of the
 * same allocation replace it) and is sent again through the next server.
 */
export class StatusReporter {
  private pending = new Map<string, AllocClientFields>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private closed = false;
  private sent = 0;

  constructor(private readonly o: StatusReporterOptions) {}

  queue(fields: AllocClientFields): void {
    if (this.closed) return;
    this.pending.set(fields.ID, fields);
    this.schedule(this.o.windowMs ?? 200);
  }

  /** Updates sent and acknowledged since start. */
  get reportsSent(): number {
    return this.sent;
  }

  /** Sends what is queued now and waits for it (used on a clean shutdown). */
  async flush(): Promise<void> {
    // One update out at a time, or a later one could land before an earlier and be overwritten.
    while (this.inFlight !== undefined) await this.inFlight;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    this.startSend();
    await this.inFlight;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined || this.inFlight !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startSend();
    }, delayMs);
  }

  /** Every update goes out through here, so `inFlight` always knows of the one out. */
  private startSend(): void {
    this.inFlight = this.send().finally(() => {
      this.inFlight = undefined;
      if (this.pending.size > 0) this.schedule(this.o.windowMs ?? 200);
    });
  }

  private async send(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    if (batch.size === 0) return;
    try {
      await callAnyServer(this.o.servers, (c) =>
        c.allocClientUpdate([...batch.values()], { [this.o.nodeId]: this.o.secretId }),
      );
      this.sent += batch.size;
    } catch (error) {
      this.o.logger.warn({ err: error, allocs: batch.size }, "alloc status update failed; will retry");
      // Keep the failed fields unless a newer version of the same alloc was queued meanwhile.
      for (const [id, fields] of batch) if (!this.pending.has(id)) this.pending.set(id, fields);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
