import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Real network faults between server processes: each server runs in its own network namespace
 * with one veth into a bridge in the root namespace, where the harness, the workload and the
 * client agents live (at the bridge's address). Faults are iptables rules in a `DROVER` chain
 * hooked into each namespace's INPUT: a cut link drops the peer's packets on both sides; loss
 * drops a random share of packets coming from other servers. The kernel's TCP then sees exactly
 * what a real partition or a lossy link does (retransmits, stalls, resets after timeouts).
 *
 * Only server-to-server traffic is faulted: the workload and the clients reach every server
 * (as Jepsen's clients do), so a minority server keeps answering — or refusing — requests.
 *
 * Names carry the harness's pid, so concurrent runs never collide and `sweepStale` can remove
 * what a killed run left behind. `destroy()` is synchronous so that it also runs from an
 * `exit` handler.
 */
export class NetnsNetwork {
  private static created = 0;
  /** Links currently cut, as "a|b" with a < b. */
  private cut = new Set<string>();
  private lossProbability = 0;
  private destroyed = false;
  private readonly onExit = (): void => this.destroy();

  private constructor(
    readonly servers: readonly string[],
    private readonly tag: string,
    private readonly subnet: string,
  ) {}

  /** The bridge's address: where the harness and the client agents bind. */
  get hostAddress(): string {
    return `${this.subnet}.254`;
  }

  addressOf(server: string): string {
    const i = this.servers.indexOf(server);
    if (i < 0) throw new Error(`no server ${server} in the network`);
    return `${this.subnet}.${i + 1}`;
  }

  namespaceOf(server: string): string {
    return `drv-${this.tag}-${server}`;
  }

  /** What a server's node process runs under. */
  commandPrefix(server: string): string[] {
    return ["ip", "netns", "exec", this.namespaceOf(server)];
  }

  private get bridge(): string {
    return `drvb${this.tag}`;
  }

  /** Whether this host can build namespaces (root, `ip` and `iptables` present); the reason if not. */
  static unavailable(): string | undefined {
    if (process.getuid?.() !== 0) return "network namespaces need root";
    for (const [tool, flag] of [
      ["ip", "-V"],
      ["iptables", "--version"],
    ] as const) {
      try {
        execFileSync(tool, [flag], { stdio: "ignore" });
      } catch {
        return `${tool} is not installed`;
      }
    }
    return undefined;
  }

  static async create(servers: readonly string[]): Promise<NetnsNetwork> {
    NetnsNetwork.sweepStale();
    // pid and a per-process count in base 36: unique among live runs, and short enough for
    // interface names (15 characters at most). The kernel removes a deleted namespace's
    // interfaces in the background, so a second run in one process must not reuse names.
    const tag = `${process.pid.toString(36)}_${(NetnsNetwork.created++).toString(36)}`;
    const network = new NetnsNetwork(servers, tag, await freeSubnet());
    process.once("exit", network.onExit);
    try {
      await network.build();
    } catch (error) {
      network.destroy();
      throw error;
    }
    return network;
  }

  private async build(): Promise<void> {
    await run("ip", ["link", "add", this.bridge, "type", "bridge"]);
    await run("ip", ["addr", "add", `${this.hostAddress}/24`, "dev", this.bridge]);
    await run("ip", ["link", "set", this.bridge, "up"]);
    for (const [i, server] of this.servers.entries()) {
      const ns = this.namespaceOf(server);
      const outside = `drv${this.tag}v${i}`;
      const inside = `drv${this.tag}p${i}`;
      await run("ip", ["netns", "add", ns]);
      await run("ip", ["link", "add", outside, "type", "veth", "peer", "name", inside]);
      await run("ip", ["link", "set", inside, "netns", ns]);
      await run("ip", ["link", "set", outside, "master", this.bridge, "up"]);
      const inNs = (...args: string[]) => run("ip", ["netns", "exec", ns, ...args]);
      await inNs("ip", "link", "set", "lo", "up");
      await inNs("ip", "addr", "add", `${this.addressOf(server)}/24`, "dev", inside);
      await inNs("ip", "link", "set", inside, "up");
      await inNs("iptables", "-w", "-N", "DROVER");
      await inNs("iptables", "-w", "-A", "INPUT", "-j", "DROVER");
    }
  }

  /** Cuts the links between every server of `a` and every server of `b` (both directions). */
  async cutLinks(pairs: ReadonlyArray<readonly [string, string]>): Promise<void> {
    for (const [a, b] of pairs) this.cut.add(a < b ? `${a}|${b}` : `${b}|${a}`);
    await this.apply();
  }

  /** Drops each server-to-server packet with probability p (0 turns loss off). */
  async setLoss(p: number): Promise<void> {
    this.lossProbability = p;
    await this.apply();
  }

  /** Removes every fault. */
  async heal(): Promise<void> {
    this.cut.clear();
    this.lossProbability = 0;
    await this.apply();
  }

  describe(): string {
    const parts = [...this.cut].map((l) => l.replace("|", "-x-"));
    if (this.lossProbability > 0) parts.push(`loss ${Math.round(this.lossProbability * 100)}%`);
    return parts.length === 0 ? "healthy" : parts.join(", ");
  }

  /** Rewrites every namespace's DROVER chain from the wanted state (idempotent). */
  private async apply(): Promise<void> {
    await Promise.all(
      this.servers.map(async (server) => {
        const rules = ["*filter", ":DROVER - [0:0]", "-F DROVER"];
        for (const link of this.cut) {
          const [a, b] = link.split("|") as [string, string];
          const peer = a === server ? b : b === server ? a : undefined;
          if (peer !== undefined) rules.push(`-A DROVER -s ${this.addressOf(peer)}/32 -j DROP`);
        }
        if (this.lossProbability > 0) {
          // Packets from the harness and the clients (the bridge's address) are never lost.
          rules.push(
            `-A DROVER -s ${this.hostAddress}/32 -j RETURN`,
            `-A DROVER -s ${this.subnet}.0/24 -m statistic --mode random ` +
              `--probability ${this.lossProbability.toFixed(3)} -j DROP`,
          );
        }
        rules.push("COMMIT", "");
        // --noflush: only the DROVER chain is rewritten; the INPUT hook stays.
        const child = execFile("ip", [
          "netns",
          "exec",
          this.namespaceOf(server),
          "iptables-restore",
          "-w",
          "--noflush",
        ]);
        const done = new Promise<void>((resolve, reject) => {
          let stderr = "";
          child.stderr?.on("data", (d: Buffer) => {
            stderr += d.toString();
          });
          child.once("error", reject);
          child.once("exit", (code) =>
            code === 0 ? resolve() : reject(new Error(`iptables-restore in ${server}: ${stderr.trim()}`)),
          );
        });
        child.stdin?.end(rules.join("\n"));
        await done;
      }),
    );
  }

  /** Deletes the namespaces (their veths and rules go with them) and the bridge. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.off("exit", this.onExit);
    for (const [i, server] of this.servers.entries()) {
      // Deleting one end of a veth removes both at once; the namespace's own cleanup is lazy.
      quietly("ip", ["link", "del", `drv${this.tag}v${i}`]);
      quietly("ip", ["netns", "del", this.namespaceOf(server)]);
    }
    quietly("ip", ["link", "del", this.bridge]);
  }

  /** Removes namespaces and bridges left by chaos runs whose process is gone. */
  static sweepStale(): void {
    let listing = "";
    try {
      listing = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
    } catch {
      return;
    }
    const dead = new Set<string>();
    for (const line of listing.split("\n")) {
      const match = /^drv-(([0-9a-z]+)_[0-9a-z]+)-\S+/.exec(line.trim());
      if (match === null) continue;
      const pid = Number.parseInt(match[2] as string, 36);
      if (!alive(pid)) {
        dead.add(match[1] as string);
        quietly("ip", ["netns", "del", match[0]]);
      }
    }
    for (const tag of dead) quietly("ip", ["link", "del", `drvb${tag}`]);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function quietly(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { stdio: "ignore" });
  } catch {
    // Already gone: cleanup is idempotent.
  }
}

/** A 10.123.X.0/24 no interface of this host uses yet. */
async function freeSubnet(): Promise<string> {
  const { stdout } = await run("ip", ["-o", "-4", "addr", "show"]);
  for (let i = 0; i < 250; i++) {
    const candidate = `10.123.${((process.pid + i) % 250) + 1}`;
    if (!stdout.includes(` ${candidate}.`)) return candidate;
  }
  throw new Error("no free 10.123.X.0/24 subnet for the chaos network");
}
