import { readFile } from "node:fs/promises";
import { TaskStartError } from "../../common/errors.js";

export interface UserIds {
  uid: number;
  gid: number;
}

/**
 * Looks a user up by name (or numeric uid) in /etc/passwd, for drivers that run a task as its
 * `user`. Only the local passwd file is consulted (no NSS), as a minimal client host has it.
 * An unknown user fails the task (not recoverable: it would fail the same way again).
 */
export async function lookupUser(name: string, passwdPath = "/etc/passwd"): Promise<UserIds> {
  const text = await readFile(passwdPath, "utf8");
  for (const line of text.split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (uid === undefined || gid === undefined) continue;
    if (user === name || uid === name) return { uid: Number(uid), gid: Number(gid) };
  }
  throw new TaskStartError(`user not found: ${name}`, false);
}
