import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ValidationError } from "../../common/errors.js";
import { pathComponentProblem } from "../../common/names.js";

/**
 * An allocation's directory tree, as Nomad lays it out:
 *
 *   <allocRoot>/<allocId>/alloc/{logs,data,tmp}          shared by every task of the alloc
 *   <allocRoot>/<allocId>/<task>/{local,secrets,tmp}     one per task (secrets is mode 0700)
 *
 * Invariant: every path this class builds stays inside `<allocRoot>/<allocId>`, because the alloc
 * id and task names are checked to be single path components before they are joined.
 */
export interface TaskDirPaths {
  /** `<alloc dir>/<task>`: the working directory of the task's processes. */
  dir: string;
  local: string;
  secrets: string;
  tmp: string;
}

export class AllocDir {
  /** `<allocRoot>/<allocId>`. */
  readonly dir: string;
  /** `<alloc dir>/alloc`: NOMAD_ALLOC_DIR. */
  readonly sharedDir: string;
  readonly logDir: string;
  readonly dataDir: string;
  readonly tmpDir: string;

  constructor(allocRoot: string, allocId: string) {
    validatePathComponent(allocId, "alloc id");
    this.dir = inside(allocRoot, join(allocRoot, allocId), "alloc id");
    this.sharedDir = join(this.dir, "alloc");
    this.logDir = join(this.sharedDir, "logs");
    this.dataDir = join(this.sharedDir, "data");
    this.tmpDir = join(this.sharedDir, "tmp");
  }

  /** The paths of one task's directory (nothing is created). */
  taskDir(task: string): TaskDirPaths {
    validatePathComponent(task, "task name");
    const dir = inside(this.dir, join(this.dir, task), "task name");
    return { dir, local: join(dir, "local"), secrets: join(dir, "secrets"), tmp: join(dir, "tmp") };
  }

  /** Creates the shared directories; idempotent (a restored alloc builds again). */
  async build(): Promise<void> {
    for (const dir of [this.logDir, this.dataDir, this.tmpDir]) await mkdir(dir, { recursive: true });
  }

  /** Creates one task's directories; idempotent. */
  async buildTask(task: string): Promise<TaskDirPaths> {
    const paths = this.taskDir(task);
    await mkdir(paths.local, { recursive: true });
    await mkdir(paths.tmp, { recursive: true });
    // mkdir's mode is ignored for a dir that already exists, so chmod as well: secrets is 0700.
    await mkdir(paths.secrets, { recursive: true, mode: 0o700 });
    await chmod(paths.secrets, 0o700);
    return paths;
  }

  /**
   * Writes a dispatched job's payload to `file` under the task's local/ dir (Nomad's
   * dispatch_payload). The job spec refuses paths that leave local/; this checks again, because
   * the path comes from user input and the write happens as the agent.
   */
  async writeDispatchPayload(paths: TaskDirPaths, file: string, payload: Uint8Array): Promise<string> {
    const target = resolve(paths.local, file);
    const inside = relative(paths.local, target);
    if (inside === "" || inside.startsWith(`..${sep}`) || inside === ".." || resolve(inside) === inside) {
      throw new ValidationError(
        `dispatch_payload file ${JSON.stringify(file)} leaves the task's local/ dir`,
        "task",
      );
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, payload, { mode: 0o600 });
    return target;
  }

  /** Removes the whole tree; a tree already gone is not an error. */
  async destroy(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A name that is joined into a path must be one component: not empty, no separator, no `..`. */
export function validatePathComponent(name: string, what: string): void {
  const problem = pathComponentProblem(name);
  if (problem !== undefined) throw new ValidationError(`${what} ${problem}`);
}

/**
 * `path` itself if, once resolved, it is strictly below `root`; else a ValidationError. Defence in
 * depth: names are checked before they are joined, and this checks what the join produced, so a
 * gap in a name rule still cannot reach outside the alloc root.
 */
export function inside(root: string, path: string, what: string): string {
  const rel = relative(resolve(root), resolve(path));
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new ValidationError(`${what} resolves outside ${root}`);
  }
  return path;
}
