import { Command } from "commander";
import { ApiError, type Variable, type VariableMeta } from "../http-client.js";
import { CliError, formatTime, json, keyValues, table } from "../output.js";
import {
  action,
  clientFor,
  type GlobalFlags,
  intFlag,
  orNotFound,
  keyValues as parseKeyValues,
  withGlobals,
  write,
} from "./common.js";

/** `drover var get|put|list|purge`: Nomad variables, with check-and-set through -check-index. */

/**
 * The conflict of a check-and-set in words, from the 409's body (the variable as it is now, or
 * null when there is none).
 */
export function casConflictMessage(
  path: string,
  checkIndex: number,
  current: Pick<Variable, "ModifyIndex"> | null,
): string {
  const head = `Check-and-set conflict on variable "${path}":`;
  if (current === null) {
    return `${head} -check-index ${checkIndex} expects it to exist at index ${checkIndex}, but there is no such variable`;
  }
  if (checkIndex === 0) {
    return `${head} -check-index 0 only creates, but it already exists (check index ${current.ModifyIndex})`;
  }
  return (
    `${head} it was changed since check index ${checkIndex}; its check index is now ${current.ModifyIndex}. ` +
    `Read it again with "drover var get ${path}" and retry`
  );
}

/** A 409 of a check-and-set as a CliError (exit 1); other errors as they are. */
function conflict(error: unknown, path: string, checkIndex: number | undefined): unknown {
  if (error instanceof ApiError && error.status === 409) {
    const body = error.body as Variable | null | { error?: string };
    const current =
      body !== null && typeof body === "object" && "ModifyIndex" in body ? (body as Variable) : null;
    return new CliError(casConflictMessage(path, checkIndex ?? 0, current));
  }
  return error;
}

export function formatVariable(variable: Variable): string {
  const items = Object.entries(variable.Items ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return [
    keyValues([
      ["Namespace", variable.Namespace],
      ["Path", variable.Path],
      ["Create Time", formatTime(variable.CreateTime)],
      ["Check Index", variable.ModifyIndex],
    ]),
    "",
    "Items",
    items.length === 0 ? "<none>" : keyValues(items),
  ].join("\n");
}

export function variablesTable(vars: readonly VariableMeta[]): string {
  return table(
    ["Namespace", "Path", "Last Updated"],
    [...vars]
      .sort((a, b) => a.Path.localeCompare(b.Path))
      .map((v) => [v.Namespace, v.Path, formatTime(v.ModifyTime)]),
  );
}

interface GetFlags extends GlobalFlags {
  item?: string;
}

interface WriteFlags extends GlobalFlags {
  checkIndex?: string;
}

export function addVarCommands(program: Command): void {
  const v = new Command("var").description("interact with variables");

  withGlobals(v.command("get"))
    .description("read a variable")
    .argument("<path>", "variable path")
    .option("--item <key>", "print only this item's value")
    .action(
      action(async (path: string, flags: GetFlags): Promise<number> => {
        const variable = await orNotFound(
          () => clientFor(flags).variable(path),
          `No variable at path "${path}"`,
        );
        if (flags.item !== undefined) {
          const value = variable.Items[flags.item];
          if (value === undefined) throw new CliError(`Variable "${path}" has no item "${flags.item}"`);
          write(value);
        } else write(flags.json ? json(variable) : formatVariable(variable));
        return 0;
      }),
    );

  withGlobals(v.command("put"))
    .description("create or replace a variable's items")
    .argument("<path>", "variable path")
    .argument("<items...>", "items as key=value")
    .option("--check-index <n>", "write only if the variable's check index is N (0: only if new)")
    .action(
      action(async (path: string, args: string[], flags: WriteFlags): Promise<number> => {
        const checkIndex = intFlag(flags.checkIndex, "-check-index");
        const items = parseKeyValues(args, "an item");
        let variable: Variable;
        try {
          variable = await clientFor(flags).putVariable(path, items, checkIndex);
        } catch (error) {
          throw conflict(error, path, checkIndex);
        }
        write(
          flags.json ? json(variable) : `Wrote variable "${path}" with check index ${variable.ModifyIndex}`,
        );
        return 0;
      }),
    );

  withGlobals(v.command("list"))
    .description("list variables (paths and times, not items)")
    .argument("[prefix]", "only paths starting with this")
    .action(
      action(async (prefix: string | undefined, flags: GlobalFlags): Promise<number> => {
        const vars = await clientFor(flags).variables(prefix);
        if (flags.json) write(json(vars));
        else write(vars.length === 0 ? "No variables found" : variablesTable(vars));
        return 0;
      }),
    );

  withGlobals(v.command("purge"), { json: false })
    .description("delete a variable")
    .argument("<path>", "variable path")
    .option("--check-index <n>", "delete only if the variable's check index is N")
    .action(
      action(async (path: string, flags: WriteFlags): Promise<number> => {
        const checkIndex = intFlag(flags.checkIndex, "-check-index");
        try {
          await clientFor(flags).deleteVariable(path, checkIndex);
        } catch (error) {
          throw conflict(error, path, checkIndex);
        }
        write(`Purged variable "${path}"`);
        return 0;
      }),
    );

  program.addCommand(v);
}
