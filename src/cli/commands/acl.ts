import { readFile } from "node:fs/promises";
import { Command } from "commander";
import { CliError, json, keyValues, table } from "../output.js";
import { action, clientFor, collect, type GlobalFlags, isNotFound, withGlobals, write } from "./common.js";

/** `drover acl bootstrap|policy …|token …`: Nomad's `nomad acl`. */

export interface AclTokenJson {
  AccessorID: string;
  SecretID?: string;
  Name: string;
  Type: string;
  Policies: string[];
  Global: boolean;
  CreateTime: string;
  ExpirationTime: string | null;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface AclPolicyJson {
  Name: string;
  Description: string;
  Rules?: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/** Nomad's token output. The secret is shown only when the agent answered it (at creation). */
export function formatToken(token: AclTokenJson): string {
  return keyValues([
    ["Accessor ID", token.AccessorID],
    ["Secret ID", token.SecretID === undefined || token.SecretID === "" ? "<hidden>" : token.SecretID],
    ["Name", token.Name === "" ? "<none>" : token.Name],
    ["Type", token.Type],
    ["Global", String(token.Global)],
    ["Policies", token.Type === "management" ? "n/a" : `[${token.Policies.join(" ")}]`],
    ["Create Time", token.CreateTime],
    ["Expiry Time", token.ExpirationTime ?? "<none>"],
    ["Create Index", String(token.CreateIndex)],
    ["Modify Index", String(token.ModifyIndex)],
  ]);
}

export function tokensTable(tokens: readonly AclTokenJson[]): string {
  return table(
    ["Name", "Type", "Global", "Accessor ID", "Expired"],
    tokens.map((t) => [
      t.Name,
      t.Type,
      String(t.Global),
      t.AccessorID,
      String(t.ExpirationTime !== null && Date.parse(t.ExpirationTime) <= Date.now()),
    ]),
  );
}

export function formatPolicy(policy: AclPolicyJson): string {
  return [
    keyValues([
      ["Name", policy.Name],
      ["Description", policy.Description === "" ? "<none>" : policy.Description],
      ["CreateIndex", String(policy.CreateIndex)],
      ["ModifyIndex", String(policy.ModifyIndex)],
    ]),
    "",
    "Rules",
    "",
    policy.Rules ?? "",
  ].join("\n");
}

async function readRules(path: string): Promise<string> {
  try {
    if (path === "-") {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
      return Buffer.concat(chunks).toString("utf8");
    }
    return await readFile(path, "utf8");
  } catch (error) {
    throw new CliError(`Error reading policy file ${JSON.stringify(path)}: ${(error as Error).message}`);
  }
}

interface TokenFlags extends GlobalFlags {
  name?: string;
  type?: string;
  policy: string[];
  global?: boolean;
  ttl?: string;
}

function tokenType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value !== "client" && value !== "management") {
    throw new CliError(`-type must be "client" or "management", got ${JSON.stringify(value)}`);
  }
  return value;
}

async function notFoundAs<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isNotFound(error)) throw new CliError(`${what} not found`);
    throw error;
  }
}

function addPolicyCommands(acl: Command): void {
  const policy = new Command("policy").description("manage ACL policies");

  withGlobals(policy.command("apply"), { json: false })
    .description("create or update an ACL policy from a policy file (- for stdin)")
    .argument("<name>", "policy name")
    .argument("<path>", "policy file (HCL, Nomad's policy language)")
    .option("--description <text>", "the policy's description")
    .action(
      action(async (name: string, path: string, flags: GlobalFlags & { description?: string }) => {
        const rules = await readRules(path);
        await clientFor(flags).request("PUT", `/v1/acl/policy/${encodeURIComponent(name)}`, {
          body: { Name: name, Description: flags.description ?? "", Rules: rules },
        });
        write(`Successfully wrote ${JSON.stringify(name)} ACL policy!`);
        return 0;
      }),
    );

  withGlobals(policy.command("list"))
    .description("list ACL policies")
    .action(
      action(async (flags: GlobalFlags) => {
        const policies = await clientFor(flags).get<AclPolicyJson[]>("/v1/acl/policies");
        if (flags.json) write(json(policies));
        else
          write(
            policies.length === 0
              ? "No policies found"
              : table(
                  ["Name", "Description"],
                  policies.map((p) => [p.Name, p.Description]),
                ),
          );
        return 0;
      }),
    );

  withGlobals(policy.command("info"))
    .description("show an ACL policy")
    .argument("<name>", "policy name")
    .action(
      action(async (name: string, flags: GlobalFlags) => {
        const p = await notFoundAs(`ACL policy ${JSON.stringify(name)}`, () =>
          clientFor(flags).get<AclPolicyJson>(`/v1/acl/policy/${encodeURIComponent(name)}`),
        );
        write(flags.json ? json(p) : formatPolicy(p));
        return 0;
      }),
    );

  withGlobals(policy.command("delete"), { json: false })
    .description("delete an ACL policy")
    .argument("<name>", "policy name")
    .action(
      action(async (name: string, flags: GlobalFlags) => {
        await notFoundAs(`ACL policy ${JSON.stringify(name)}`, () =>
          clientFor(flags).request("DELETE", `/v1/acl/policy/${encodeURIComponent(name)}`),
        );
        write(`Successfully deleted ${JSON.stringify(name)} ACL policy!`);
        return 0;
      }),
    );
  acl.addCommand(policy);
}

function tokenCommandOptions(command: Command): Command {
  return command
    .option("--name <name>", "the token's name")
    .option("--type <type>", "client or management")
    .option("--policy <name>", "a policy of the token (repeatable)", collect, [])
    .option("--global", "replicate the token to every region");
}

function addTokenCommands(acl: Command): void {
  const token = new Command("token").description("manage ACL tokens");
  const show = (flags: GlobalFlags, t: AclTokenJson): void => write(flags.json ? json(t) : formatToken(t));

  withGlobals(tokenCommandOptions(token.command("create")))
    .description("create an ACL token (its Secret ID is shown only now)")
    .option("--ttl <duration>", "the token expires after this long (1h, 30m)")
    .action(
      action(async (flags: TokenFlags) => {
        const type = tokenType(flags.type) ?? "client";
        const body: Record<string, unknown> = {
          Name: flags.name ?? "",
          Type: type,
          Policies: flags.policy,
          Global: flags.global === true,
        };
        if (flags.ttl !== undefined) body["ExpirationTTL"] = flags.ttl;
        const answer = await clientFor(flags).request<AclTokenJson>("POST", "/v1/acl/token", { body });
        show(flags, answer.body);
        return 0;
      }),
    );

  withGlobals(tokenCommandOptions(token.command("update")))
    .description("update an ACL token (what the flags say; the rest is kept)")
    .argument("<accessor>", "the token's Accessor ID")
    .action(
      action(async (accessor: string, flags: TokenFlags) => {
        const client = clientFor(flags);
        const path = `/v1/acl/token/${encodeURIComponent(accessor)}`;
        const current = await notFoundAs(`ACL token ${accessor}`, () => client.get<AclTokenJson>(path));
        const type = tokenType(flags.type) ?? current.Type;
        const body = {
          AccessorID: accessor,
          Name: flags.name ?? current.Name,
          Type: type,
          Policies: flags.policy.length > 0 ? flags.policy : current.Policies,
          Global: flags.global === true ? true : current.Global,
        };
        show(flags, (await client.request<AclTokenJson>("POST", path, { body })).body);
        return 0;
      }),
    );

  withGlobals(token.command("list"))
    .description("list ACL tokens")
    .action(
      action(async (flags: GlobalFlags) => {
        const tokens = await clientFor(flags).get<AclTokenJson[]>("/v1/acl/tokens");
        if (flags.json) write(json(tokens));
        else write(tokens.length === 0 ? "No tokens found" : tokensTable(tokens));
        return 0;
      }),
    );

  withGlobals(token.command("info"))
    .description("show an ACL token (never its secret)")
    .argument("<accessor>", "the token's Accessor ID")
    .action(
      action(async (accessor: string, flags: GlobalFlags) => {
        const t = await notFoundAs(`ACL token ${accessor}`, () =>
          clientFor(flags).get<AclTokenJson>(`/v1/acl/token/${encodeURIComponent(accessor)}`),
        );
        show(flags, t);
        return 0;
      }),
    );

  withGlobals(token.command("self"))
    .description("show the token the command runs with")
    .action(
      action(async (flags: GlobalFlags) => {
        show(flags, await clientFor(flags).get<AclTokenJson>("/v1/acl/token/self"));
        return 0;
      }),
    );

  withGlobals(token.command("delete"), { json: false })
    .description("delete an ACL token")
    .argument("<accessor>", "the token's Accessor ID")
    .action(
      action(async (accessor: string, flags: GlobalFlags) => {
        await notFoundAs(`ACL token ${accessor}`, () =>
          clientFor(flags).request("DELETE", `/v1/acl/token/${encodeURIComponent(accessor)}`),
        );
        write(`Token ${accessor} successfully deleted`);
        return 0;
      }),
    );
  acl.addCommand(token);
}

export function addAclCommands(program: Command): void {
  const acl = new Command("acl").description("interact with ACL policies and tokens");
  withGlobals(acl.command("bootstrap"))
    .description("bootstrap the ACL system: the one-time management token")
    .action(
      action(async (flags: GlobalFlags) => {
        const answer = await clientFor(flags).request<AclTokenJson>("POST", "/v1/acl/bootstrap");
        write(flags.json ? json(answer.body) : formatToken(answer.body));
        return 0;
      }),
    );
  addPolicyCommands(acl);
  addTokenCommands(acl);
  program.addCommand(acl);
}
