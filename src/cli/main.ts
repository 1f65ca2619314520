import { Command, CommanderError } from "commander";
import { DROVER_VERSION } from "../common/version.js";
import { addAgentCommand } from "./agent-command.js";
import { addAclCommands } from "./commands/acl.js";
import { addAllocCommands } from "./commands/alloc.js";
import { addDeploymentCommands } from "./commands/deployment.js";
import { addEvalCommands } from "./commands/eval.js";
import { addJobCommands } from "./commands/job.js";
import { addNamespaceCommands } from "./commands/namespace.js";
import { addNodeCommands } from "./commands/node.js";
import { addEventCommands, addOperatorCommands } from "./commands/operator.js";
import { addServerCommands } from "./commands/server.js";
import { addStatusCommand } from "./commands/status.js";
import { addTlsCommands } from "./commands/tls.js";
import { addVarCommands } from "./commands/var.js";

/** Nomad users type single-dash long flags (`-dev`, `-server`); commander wants two dashes. */
export function normalizeArgs(argv: readonly string[]): string[] {
  return argv.map((arg) => (/^-[a-z][a-z0-9-]+(=.*)?$/.test(arg) ? `-${arg}` : arg));
}

export function buildProgram(): Command {
  const program = new Command("drover")
    .description("Drover: a cluster scheduler in the shape of HashiCorp Nomad")
    .version(DROVER_VERSION, "-v, --version", "print the version")
    .showHelpAfterError();

  program
    .command("version")
    .description("print the Drover version")
    .action(() => {
      process.stdout.write(`Drover v${DROVER_VERSION}\n`);
    });

  addAgentCommand(program);
  addJobCommands(program);
  addAllocCommands(program);
  addNodeCommands(program);
  addDeploymentCommands(program);
  addEvalCommands(program);
  addVarCommands(program);
  addNamespaceCommands(program);
  addStatusCommand(program);
  addServerCommands(program);
  addOperatorCommands(program);
  addEventCommands(program);
  addAclCommands(program);
  addTlsCommands(program);

  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(normalizeArgs(process.argv.slice(2)), { from: "user" });
    // Stragglers (keep-alive sockets, unref'd timers of closed components) must not hold a
    // cleanly stopped agent open.
    process.exit(0);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    process.stderr.write(`drover: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

await main();
