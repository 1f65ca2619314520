import { readFile, stat } from "node:fs/promises";
import { Command } from "commander";
import type { Namespace, NamespaceSpecInput } from "../http-client.js";
import { CliError, json, keyValues, table } from "../output.js";
import {
  action,
  clientFor,
  collect,
  type GlobalFlags,
  isNotFound,
  keyValues as parseKeyValues,
  withGlobals,
  write,
} from "./common.js";

/** `drover namespace list|status|apply|delete`: Nomad's `nomad namespace`. */

export function namespacesTable(namespaces: readonly Namespace[]): string {
  return table(
    ["Name", "Description"],
    [...namespaces].sort((a, b) => a.Name.localeCompare(b.Name)).map((n) => [n.Name, n.Description]),
  );
}

export function formatNamespace(namespace: Namespace): string {
  const lines = [
    keyValues([
      ["Name", namespace.Name],
      ["Description", namespace.Description],
      ["Quota", typeof namespace.Quota === "string" ? namespace.Quota : ""],
    ]),
  ];
  const meta = Object.entries(namespace.Meta ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (meta.length > 0) lines.push("", "Metadata", keyValues(meta));
  return lines.join("\n");
}

/** HCL attribute and block names of a namespace spec → Nomad's API field names. */
const SPEC_FIELDS: Readonly<Record<string, string>> = {
  name: "Name",
  description: "Description",
  quota: "Quota",
  meta: "Meta",
  capabilities: "Capabilities",
  node_pool_config: "NodePoolConfiguration",
  vault: "VaultConfiguration",
  consul: "ConsulConfiguration",
};

/** `enabled_task_drivers` → `EnabledTaskDrivers`, recursively through nested blocks. */
function pascalKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pascalKeys);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key.replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase()),
      pascalKeys(inner),
    ]),
  );
}

/** hcl2json writes a block as a list of bodies; a namespace spec has each block at most once. */
function singleBlock(value: unknown, where: string): unknown {
  if (!Array.isArray(value)) return value;
  if (value.length !== 1) throw new CliError(`${where}: expected one block, got ${value.length}`);
  return value[0];
}

/**
 * A namespace specification file (Nomad's `namespace apply` input): HCL (`name = "x"
 * description = "…" meta { k = "v" }`) or the API's JSON (`{"Name": …}`). What the fields hold is
 * checked by the agent, which answers what is wrong and where.
 */
export async function loadNamespaceSpec(file: string): Promise<NamespaceSpecInput> {
  let text: string;
  try {
    text = file === "-" ? await readStdin() : await readFile(file, "utf8");
  } catch (error) {
    throw new CliError(`Error reading namespace specification ${file}: ${(error as Error).message}`);
  }
  const name = file === "-" ? "<stdin>" : file;
  const isJson = /\.json$/i.test(file) || (file === "-" && text.trimStart().startsWith("{"));
  let spec: Record<string, unknown>;
  if (isJson) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new CliError(`${name}: invalid JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new CliError(`${name}: expected a JSON object (a Namespace)`);
    }
    spec = parsed as Record<string, unknown>;
  } else {
    const { parseHcl } = await import("../../jobspec/index.js");
    let body: Record<string, unknown>;
    try {
      body = await parseHcl(text, name);
    } catch (error) {
      throw new CliError((error as Error).message);
    }
    spec = {};
    for (const [key, value] of Object.entries(body)) {
      const field = SPEC_FIELDS[key];
      if (field === undefined) {
        throw new CliError(
          `${name}: unknown attribute or block "${key}" (one of ${Object.keys(SPEC_FIELDS).join(", ")})`,
        );
      }
      const single = singleBlock(value, `${name}: ${key}`);
      // Meta keys are the user's own words: kept as written.
      spec[field] = field === "Meta" ? single : pascalKeys(single);
    }
  }
  if (typeof spec["Name"] !== "string" || spec["Name"] === "") {
    throw new CliError(`${name}: the namespace specification has no name`);
  }
  return {
    ...spec,
    Name: spec["Name"],
    Description: (spec["Description"] as string | undefined) ?? "",
    Meta: (spec["Meta"] as Record<string, string> | undefined) ?? {},
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/** Nomad reads a spec when the argument is `-` or an existing file, and a name otherwise. */
async function isSpecFile(arg: string): Promise<boolean> {
  if (arg === "-") return true;
  try {
    return (await stat(arg)).isFile();
  } catch {
    return false;
  }
}

interface ApplyFlags extends GlobalFlags {
  description?: string;
  meta: string[];
}

export function addNamespaceCommands(program: Command): void {
  const ns = new Command("namespace").description("interact with namespaces");

  withGlobals(ns.command("list"))
    .description("list namespaces")
    .option("--prefix <prefix>", "only names starting with this")
    .action(
      action(async (flags: GlobalFlags & { prefix?: string }): Promise<number> => {
        const namespaces = await clientFor(flags).namespaces(flags.prefix);
        if (flags.json) write(json(namespaces));
        else write(namespaces.length === 0 ? "No namespaces found" : namespacesTable(namespaces));
        return 0;
      }),
    );

  withGlobals(ns.command("status"))
    .description("show a namespace")
    .argument("<name>", "namespace name")
    .action(
      action(async (name: string, flags: GlobalFlags): Promise<number> => {
        let namespace: Namespace;
        try {
          namespace = await clientFor(flags).namespaceInfo(name);
        } catch (error) {
          if (isNotFound(error)) throw new CliError(`Namespace "${name}" not found`);
          throw error;
        }
        write(flags.json ? json(namespace) : formatNamespace(namespace));
        return 0;
      }),
    );

  withGlobals(ns.command("apply"), { json: false })
    .description("create or update a namespace, from flags or from a specification file")
    .argument("<name-or-file>", "a namespace name, or an HCL/JSON namespace specification (- for stdin)")
    .option("--description <text>", "the namespace's description")
    .option(
      "--meta <key=value>",
      "a metadata entry (repeatable; replaces the namespace's metadata)",
      collect,
      [],
    )
    .action(
      action(async (arg: string, flags: ApplyFlags): Promise<number> => {
        const client = clientFor(flags);
        let spec: NamespaceSpecInput;
        if (await isSpecFile(arg)) {
          if (flags.description !== undefined || flags.meta.length > 0) {
            throw new CliError("-description and -meta apply to a namespace name, not a specification file");
          }
          spec = await loadNamespaceSpec(arg);
        } else {
          // By name: change what the flags say, keep the rest of an existing namespace.
          let current: Namespace | undefined;
          try {
            current = await client.namespaceInfo(arg);
          } catch (error) {
            if (!isNotFound(error)) throw error;
          }
          const {
            CreateIndex: _c,
            ModifyIndex: _m,
            ...kept
          } = current ?? { Name: arg, Description: "", Meta: {} };
          spec = {
            ...kept,
            Name: arg,
            Description: flags.description ?? kept.Description,
            Meta: flags.meta.length > 0 ? parseKeyValues(flags.meta, "-meta") : (kept.Meta ?? {}),
          };
        }
        await client.applyNamespace(spec);
        write(`Successfully applied namespace "${spec.Name}"!`);
        return 0;
      }),
    );

  withGlobals(ns.command("delete"), { json: false })
    .description("delete a namespace (it must hold no running jobs and no variables)")
    .argument("<name>", "namespace name")
    .action(
      action(async (name: string, flags: GlobalFlags): Promise<number> => {
        try {
          await clientFor(flags).deleteNamespace(name);
        } catch (error) {
          if (isNotFound(error)) throw new CliError(`Namespace "${name}" not found`);
          throw error;
        }
        write(`Successfully deleted namespace "${name}"!`);
        return 0;
      }),
    );

  program.addCommand(ns);
}
