import { NotFoundError } from "../../common/errors.js";
import type { Logger } from "../../common/log.js";
import type { Node } from "../../fsm/index.js";
import type { NodeUpdateResult } from "../../rpc/server-api.js";
import { callAnyServer, type ServerList } from "./server-list.js";

export interface HeartbeaterOptions {
  servers: ServerList;
  /** The node as registered (fingerprinted now; identity from the state DB). */
  node: () => Node;
  logger: Logger;
  /** Called after every successful (re-)registration. */
  onRegistered?: (result: NodeUpdateResult) => void;
  /** Called whenever a server answered a registration or a heartbeat. */
  onContact?: () => void;
}

/** Retry pause after a failed register or heartbeat: long enough not to spin, short enough to beat the TTL. */
const RETRY_MS = 1000;

/**
 * Keeps the node known to the servers: registers it, then heartbeats within the TTL each answer
 * gives (at half of it, so one lost beat or a failover still lands in time), and registers again
 * when a server no longer knows the node (garbage collected while this client was away). A
 * heartbeat from a node the servers marked down brings it back to ready. Steady-state beats log
 * nothing above debug.
 */
export class Heartbeater {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private beats = 0;
  private wakePause: (() => void) | undefined;

  constructor(private readonly o: HeartbeaterOptions) {}

  /** Registers, retrying through every server until one accepts; then heartbeats on its own. */
  async start(): Promise<void> {
    await this.register();
  }

  /** Heartbeats sent since start (for tests and stats). */
  get heartbeats(): number {
    return this.beats;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.wakePause?.();
  }

  private async register(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const result = await callAnyServer(this.o.servers, (c) => c.nodeRegister(this.o.node()));
        this.accepted(result);
        this.o.logger.info(
          { node: this.o.node().ID, server: this.o.servers.currentAddress() },
          "node registered",
        );
        this.o.onRegistered?.(result);
        return;
      } catch (error) {
        // Stopped while the call was out: its failure is no reason to wait before ending.
        if (this.stopped) return;
        // Every server refused or none answered: say so once in a while, keep trying.
        if (attempt % 10 === 0) this.o.logger.warn({ err: error }, "node registration failed; retrying");
        await this.pause(Math.min(RETRY_MS * 2 ** attempt, 10_000));
      }
    }
  }

  private async beat(): Promise<void> {
    const node = this.o.node();
    try {
      const result = await callAnyServer(this.o.servers, (c) => c.nodeHeartbeat(node.ID, node.SecretID));
      this.beats++;
      this.accepted(result);
    } catch (error) {
      if (this.stopped) return;
      if (error instanceof NotFoundError) {
        this.o.logger.info("the servers no longer know this node; registering again");
        await this.register();
        return;
      }
      this.o.logger.debug({ err: error }, "heartbeat failed; retrying");
      this.schedule(RETRY_MS);
    }
  }

  private accepted(result: NodeUpdateResult): void {
    this.o.onContact?.();
    this.o.servers.learn(result.servers);
    // A TTL of 0 means the server considers the node down: beat again soon to come back.
    this.schedule(result.heartbeatTtlMs > 0 ? result.heartbeatTtlMs / 2 : RETRY_MS);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.beat().catch((error: unknown) => this.o.logger.error({ err: error }, "heartbeat loop failed"));
    }, delayMs);
  }

  /** Waits `ms`, or less when the heartbeater is stopped meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.wakePause = undefined;
        this.timer = undefined;
        resolve();
      };
      this.wakePause = done;
      this.timer = setTimeout(done, ms);
    });
  }
}
