import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import type { Socket } from "node:net";
import { TaskStartError } from "../../common/errors.js";
import type { Logger } from "../../common/log.js";
import type { UserIds } from "./passwd.js";
import { parseStat } from "./process-tree.js";

/**
 * The fork server: one small, long-lived launcher process per agent that forks task wrappers on
 * request, so that starting a task costs the agent's event loop a pipe write instead of a fork()
 * of the whole (100+ MB) Node process, which took ~3.5 ms of main-thread time per task.
 *
 * The launcher is Perl from Debian's `perl-base` (Essential: on every Debian system), run with
 * `-e` and an empty environment; no code of ours is compiled. Requests are NUL-separated records
 * (a field cannot contain NUL, nor can argv or env): nothing of a job is ever parsed by a shell or
 * by Perl, only copied into argv, env and paths. For each request the launcher forks; the CHILD:
 *  1. setsid(): its own session and process group (the task outlives the agent);
 *  2. writes its own pid into the task's cgroup.procs files: from its very first instruction
 *     the task runs inside its cgroup (what exec's "go" handshake guarantees on the direct path);
 *  3. chdir(taskDir), stdin from /dev/null, opens stdout/stderr for append, drops to the task's
 *     uid/gid (supplementary groups cleared to the gid), all before anything of the task runs;
 *  4. answers `<id> ok <its /proc/self/stat>` (pid AND start time: the agent never has to read
 *     /proc for a task that may already have ended), or `<id> err <what failed>` and exits;
 *  5. sets exactly the task's environment and execs the wrapper.
 * The launcher ignores SIGCHLD (the kernel reaps its children: no zombies, no bookkeeping), and
 * exits at EOF on its stdin, i.e. when the agent goes away; the tasks it forked run on.
 *
 * Failure: a request whose child never answered was never exec'ed (the answer precedes the exec),
 * so when the launcher dies, such requests are safely retried on a new launcher. When no launcher
 * can be started, fork() throws LauncherUnavailable and the caller spawns directly.
 */
const LAUNCHER = String.raw`
use strict; use warnings; use POSIX ();
$SIG{CHLD} = 'IGNORE';
$/ = "\0";
sub field { my $f = <STDIN>; POSIX::_exit(0) unless defined $f; chomp $f; return $f; }
sub fields { my $n = field(); die "drover launcher: bad count\n" unless $n =~ /^\d+$/; return map { field() } 1 .. $n; }
syswrite STDOUT, "ready $$\n";
while (1) {
  field() eq 'drover-fork' or die "drover launcher: bad request\n";
  my ($id, $dir, $out, $err, $uid, $gid) = map { field() } 1 .. 6;
  my @cgroup = fields(); my @env = fields(); my @argv = fields();
  my $pid = fork;
  if (!defined $pid) { syswrite STDOUT, "$id err fork: $!\n"; next; }
  next if $pid;
  $SIG{CHLD} = 'DEFAULT';
  my $fail = sub { syswrite STDOUT, "$id err $_[0]: $!\n"; POSIX::_exit(127); };
  defined POSIX::setsid() or $fail->('setsid');
  for my $f (@cgroup) {
    open(my $h, '>', $f) or $fail->("joining the cgroup ($f)");
    defined syswrite($h, "$$\n") or $fail->("joining the cgroup ($f)");
    close $h;
  }
  chdir $dir or $fail->("entering the task dir ($dir)");
  open(STDIN, '<', '/dev/null') or $fail->('opening /dev/null');
  open(my $o, '>>', $out) or $fail->("opening $out");
  open(my $e, '>>', $err) or $fail->("opening $err");
  if ($gid ne '') {
    $) = "$gid $gid"; POSIX::setgid($gid);
    $fail->("switching to gid $gid") unless $( == $gid && $) == $gid;
  }
  if ($uid ne '') {
    POSIX::setuid($uid);
    $fail->("switching to uid $uid") unless $< == $uid && $> == $uid;
  }
  open(my $s, '<', '/proc/self/stat') or $fail->('reading /proc/self/stat');
  my $stat = do { local $/; <$s> };
  syswrite STDOUT, "$id ok $stat" or POSIX::_exit(127);
  POSIX::dup2(fileno($o), 1); POSIX::dup2(fileno($e), 2);
  %ENV = ();
  for (@env) { my ($k, $v) = split /=/, $_, 2; $ENV{$k} = $v; }
  exec { $argv[0] } @argv or POSIX::_exit(127);
}
`;

const PERL = "/usr/bin/perl";
/** How long a new launcher may take to say it is ready. */
const READY_TIMEOUT_MS = 10_000;
/** After a launcher could not be started, how long starts go direct before it is tried again. */
const RETRY_AFTER_MS = 30_000;

export interface ForkRequest {
  cwd: string;
  stdoutPath: string;
  stderrPath: string;
  user: UserIds | undefined;
  /** The cgroup.procs files the child joins before it execs (none: no cgroup). */
  cgroupProcs: readonly string[];
  env: Readonly<Record<string, string>>;
  /** argv[0] is the path of the program. */
  argv: readonly string[];
}

export interface Forked {
  pid: number;
  startTicks: number;
}

/** Nothing was forked for the request, and no launcher is to be had: spawn directly. */
export class LauncherUnavailable extends Error {
  override name = "LauncherUnavailable";
}

/** The launcher went away before the request's child answered: nothing ran, retry. */
class LauncherLost extends Error {
  override name = "LauncherLost";
}

/** Encodes one request; throws TaskStartError for a value with a NUL byte (unrepresentable). */
export function encodeRequest(id: number, req: ForkRequest): Buffer {
  const env = Object.entries(req.env).map(([k, v]) => `${k}=${v}`);
  const fields = [
    "drover-fork",
    String(id),
    req.cwd,
    req.stdoutPath,
    req.stderrPath,
    req.user === undefined ? "" : String(req.user.uid),
    req.user === undefined ? "" : String(req.user.gid),
    String(req.cgroupProcs.length),
    ...req.cgroupProcs,
    String(env.length),
    ...env,
    String(req.argv.length),
    ...req.argv,
  ];
  const bad = fields.find((f) => f.includes("\0"));
  if (bad !== undefined) {
    throw new TaskStartError(
      `a task's argument, variable or path contains a NUL byte: ${JSON.stringify(bad)}`,
      false,
    );
  }
  return Buffer.from(`${fields.join("\0")}\0`, "utf8");
}

interface Pending {
  resolve: (forked: Forked) => void;
  reject: (err: Error) => void;
}

/** One launcher process. */
class Launcher {
  readonly proc: ChildProcess;
  readonly ready: Promise<void>;
  /** Set once the process exited (requests go to a new launcher). */
  exited = false;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private partial = "";

  constructor(
    private readonly logger: Logger,
    perl: string,
  ) {
    this.proc = spawn(perl, ["-e", LAUNCHER], {
      cwd: "/",
      env: {},
      // Its own session: a Ctrl-C meant for the agent's process group must not reach children
      // between their fork and their setsid().
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.proc.unref();
    for (const stream of [this.proc.stdin, this.proc.stdout, this.proc.stderr])
      (stream as Socket | null)?.unref();
    this.proc.stdin?.on("error", () => undefined); // EPIPE once it died: 'close' handles that
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no answer")), READY_TIMEOUT_MS);
      timer.unref();
      this.onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.proc.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      this.proc.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`exited (${signal ?? code}) before it was ready`));
      });
    });
    this.ready.catch(() => undefined);
    this.proc.stdout?.setEncoding("utf8").on("data", (chunk: string) => this.onData(chunk));
    this.proc.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.logger.warn({ launcher: this.proc.pid, stderr: chunk.trim() }, "task launcher wrote to stderr");
    });
    this.proc.once("exit", () => {
      this.exited = true;
    });
    this.proc.once("error", () => {
      this.exited = true;
    });
    // 'close': the launcher AND every child still holding its stdout are gone: a request not
    // answered by now was never exec'ed.
    this.proc.once("close", () => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new LauncherLost("the task launcher exited"));
      this.pending.clear();
    });
  }

  private onReady: () => void = () => undefined;

  get pid(): number | undefined {
    return this.proc.pid;
  }

  fork(req: ForkRequest): Promise<Forked> {
    const id = this.nextId++;
    const record = encodeRequest(id, req);
    return new Promise<Forked>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.proc.stdin?.write(record);
    });
  }

  /** Stops accepting work: EOF makes it exit once it has read what was sent. */
  close(): void {
    this.proc.stdin?.end();
  }

  private onData(chunk: string): void {
    const lines = (this.partial + chunk).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) this.onLine(line);
  }

  private onLine(line: string): void {
    const match = /^(\S+) (ok|err) (.*)$/.exec(line);
    if (line.startsWith("ready ")) {
      this.onReady();
      return;
    }
    const pending = match === null ? undefined : this.pending.get(Number(match[1]));
    if (match === null || pending === undefined) {
      this.logger.warn({ launcher: this.proc.pid, line }, "unexpected answer from the task launcher");
      return;
    }
    this.pending.delete(Number(match[1]));
    const rest = match[3] as string;
    if (match[2] === "err") {
      pending.reject(new TaskStartError(`failed to start the task: ${rest}`, true));
      return;
    }
    const stat = parseStat(rest);
    if (stat === undefined)
      pending.reject(new TaskStartError(`unreadable answer of the task launcher: ${rest}`, true));
    else pending.resolve({ pid: stat.pid, startTicks: stat.startTicks });
  }
}

export class ForkServer {
  private current: Launcher | undefined;
  private unavailable: { reason: string; untilMs: number } | undefined;

  constructor(
    private readonly logger: Logger,
    /** The interpreter (tests point it elsewhere). */
    private readonly perl = PERL,
  ) {}

  /** The current launcher's pid (tests). */
  get pid(): number | undefined {
    return this.current?.exited === false ? this.current.pid : undefined;
  }

  /**
   * Forks a task process through the launcher. TaskStartError when the child's setup failed (the
   * task did not run); LauncherUnavailable when no launcher could take it (nothing was forked).
   */
  async fork(req: ForkRequest): Promise<Forked> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const launcher = await this.launcher();
      try {
        return await launcher.fork(req);
      } catch (err) {
        if (!(err instanceof LauncherLost)) throw err;
        this.logger.warn({ launcher: launcher.pid }, "the task launcher died; starting a new one");
      }
    }
    throw new LauncherUnavailable("the task launcher died twice during one start");
  }

  /** Lets the launcher exit (it reads to EOF first); a later fork() starts a new one. */
  close(): void {
    this.current?.close();
    this.current = undefined;
  }

  private async launcher(): Promise<Launcher> {
    if (this.current !== undefined && !this.current.exited) {
      await this.current.ready.catch(() => undefined);
      if (!this.current.exited && this.unavailable === undefined) return this.current;
    }
    if (this.unavailable !== undefined && Date.now() < this.unavailable.untilMs) {
      throw new LauncherUnavailable(this.unavailable.reason);
    }
    this.unavailable = undefined;
    if (!existsSync(this.perl)) return this.giveUp(`${this.perl} is missing`);
    const launcher = new Launcher(this.logger, this.perl);
    this.current = launcher;
    try {
      await launcher.ready;
    } catch (err) {
      launcher.close();
      if (launcher.pid !== undefined && !launcher.exited) launcher.proc.kill("SIGKILL");
      return this.giveUp(`the task launcher did not start: ${(err as Error).message}`);
    }
    return launcher;
  }

  private giveUp(reason: string): never {
    this.current = undefined;
    this.unavailable = { reason, untilMs: Date.now() + RETRY_AFTER_MS };
    this.logger.warn({ reason, retryInMs: RETRY_AFTER_MS }, "no task launcher: tasks are spawned directly");
    throw new LauncherUnavailable(reason);
  }
}

let shared: ForkServer | undefined;

/** The agent's fork server (one per process), created on first use. */
export function sharedForkServer(logger: Logger): ForkServer {
  shared ??= new ForkServer(logger.child({ component: "task-launcher" }));
  return shared;
}
