import type { AgentProcess, LocalCluster } from "../../src/cli/local-cluster.js";
import type { NetnsNetwork } from "./netns-network.js";
import type { Prng } from "./prng.js";

export const FAULT_KINDS = ["kill", "pause", "partition", "loss"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A fault as injected, for the summary and the replay report. */
export interface InjectedFault {
  name: string;
  detail: string;
  atMs: number;
  heldMs: number;
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Injects one fault at a time, each drawn from the seed, holds it, then heals it completely
 * (restart, SIGCONT, rules removed) before the caller waits for the cluster to be healthy again.
 *
 *   kill       kill -9 of a server (the leader 60 % of the time) and restart on the same data
 *              dir; sometimes every server at once (full-cluster restart); sometimes a client
 *              agent together with its tasks (a machine crash), restarted on its data dir
 *   pause      SIGSTOP of a server (the leader preferred) for 2.5–4 election timeouts, SIGCONT
 *   partition  isolated leader, isolated follower, random majority/minority, or a bridge
 *              (two sides that each still reach one middle server)
 *   loss       10–40 % of the packets between servers dropped
 */
export class Nemesis {
  readonly injected: InjectedFault[] = [];
  private readonly paused = new Set<string>();

  constructor(
    private readonly cluster: LocalCluster,
    private readonly network: NetnsNetwork,
    private readonly rng: Prng,
    private readonly kinds: readonly FaultKind[],
    private readonly electionTimeoutMs: number,
    private readonly killTasksOf: (client: string) => void,
    private readonly elapsedMs: () => number,
  ) {}

  private async leaderName(): Promise<string | undefined> {
    try {
      const leader = await this.cluster.waitForLeader(2_000);
      return leader.name;
    } catch {
      return undefined;
    }
  }

  private async pickServer(): Promise<AgentProcess> {
    const leader = await this.leaderName();
    if (leader !== undefined && this.rng.chance(0.6)) return this.cluster.server(leader);
    return this.rng.pick(this.cluster.servers);
  }

  /** Injects one fault, holds it, heals it. */
  async step(): Promise<void> {
    const kind = this.rng.pick(this.kinds);
    const atMs = this.elapsedMs();
    const record = (name: string, detail: string, heldMs: number) =>
      this.injected.push({ name, detail, atMs, heldMs });
    switch (kind) {
      case "kill": {
        const roll = this.rng.next();
        const heldMs = this.rng.int(1_000, 4_000);
        if (roll < 0.15) {
          for (const s of this.cluster.servers) await this.cluster.kill(s.name);
          record("restart-all", "kill -9 of every server", heldMs);
          await wait(heldMs);
          await Promise.all(this.cluster.servers.map((s) => this.cluster.restart(s.name)));
        } else if (roll < 0.3 && this.cluster.clients.length > 0) {
          const client = this.rng.pick(this.cluster.clients);
          await this.cluster.kill(client.name);
          this.killTasksOf(client.name);
          record("client-crash", `kill -9 of ${client.name} and its tasks`, heldMs);
          await wait(heldMs);
          await this.cluster.restart(client.name);
        } else {
          const server = await this.pickServer();
          await this.cluster.kill(server.name);
          record("kill", `kill -9 of ${server.name}`, heldMs);
          await wait(heldMs);
          await this.cluster.restart(server.name);
        }
        return;
      }
      case "pause": {
        const server = await this.pickServer();
        const heldMs = Math.round(this.electionTimeoutMs * (2.5 + 1.5 * this.rng.next()));
        server.proc?.kill("SIGSTOP");
        this.paused.add(server.name);
        record("pause", `SIGSTOP of ${server.name}`, heldMs);
        await wait(heldMs);
        this.resume(server.name);
        return;
      }
      case "partition": {
        const names = this.cluster.servers.map((s) => s.name);
        const leader = await this.leaderName();
        const heldMs = this.rng.int(3_000, 8_000);
        const shuffled = this.shuffle(names);
        let mode = this.rng.pick([
          "isolate-leader",
          "isolate-follower",
          "majority-minority",
          "bridge",
        ] as const);
        // No leader to isolate (an election under way): isolate a follower instead.
        if (mode === "isolate-leader" && leader === undefined) mode = "isolate-follower";
        let sides: [string[], string[]];
        let middle: string[] = [];
        if (mode === "isolate-leader" && leader !== undefined) {
          sides = [[leader], names.filter((n) => n !== leader)];
        } else if (mode === "isolate-follower") {
          const follower = this.rng.pick(names.filter((n) => n !== leader));
          sides = [[follower], names.filter((n) => n !== follower)];
        } else if (mode === "majority-minority") {
          const minority = Math.floor((names.length - 1) / 2);
          sides = [shuffled.slice(0, minority), shuffled.slice(minority)];
        } else {
          // Bridge: the middle server reaches both sides, the sides do not reach each other.
          middle = shuffled.slice(0, 1);
          const rest = shuffled.slice(1);
          const half = Math.floor(rest.length / 2);
          sides = [rest.slice(0, half), rest.slice(half)];
        }
        const pairs: Array<[string, string]> = [];
        for (const a of sides[0]) for (const b of sides[1]) pairs.push([a, b]);
        await this.network.cutLinks(pairs);
        const shown = `${sides[0].join(",")} | ${middle.length > 0 ? `${middle.join(",")} | ` : ""}${sides[1].join(",")}`;
        record(`partition-${mode}`, shown, heldMs);
        await wait(heldMs);
        await this.network.heal();
        return;
      }
      case "loss": {
        const p = 0.1 + 0.3 * this.rng.next();
        const heldMs = this.rng.int(4_000, 8_000);
        await this.network.setLoss(p);
        record("loss", `${Math.round(p * 100)}% of server-to-server packets dropped`, heldMs);
        await wait(heldMs);
        await this.network.heal();
        return;
      }
    }
  }

  /** Fisher–Yates from the seed. */
  private shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.rng.int(0, i);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  private resume(name: string): void {
    this.cluster.agent(name).proc?.kill("SIGCONT");
    this.paused.delete(name);
  }

  /** Undoes whatever is still in effect (a run that fails in the middle of a fault). */
  async healAll(): Promise<void> {
    for (const name of [...this.paused]) this.resume(name);
    await this.network.heal();
    for (const agent of [...this.cluster.servers, ...this.cluster.clients]) {
      if (agent.proc === undefined) await this.cluster.restart(agent.name);
    }
  }

  /** Resumes paused processes without waiting for anything (before stopping the cluster). */
  resumeAll(): void {
    for (const name of [...this.paused]) this.resume(name);
  }
}
