import { readFile, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import type { TlsRole } from "../../common/tls.js";
import { CliError } from "../output.js";
// node-forge (tls-certs.ts) is loaded only when a certificate is made, not by every command.
import { CA_FILE, CA_KEY_FILE, certFileNames } from "../tls-files.js";
import { action, collect, intFlag, write } from "./common.js";

/**
 * Writes a new file, never over an existing one: overwriting a CA key would orphan every
 * certificate it signed. Keys are readable by their owner only.
 */
async function writeNew(path: string, text: string, mode: number): Promise<void> {
  try {
    await writeFile(path, text, { flag: "wx", mode });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST")
      throw new CliError(`Error: ${path} already exists; remove it or work in another directory`);
    throw new CliError(`Error: cannot write ${path}: ${(error as Error).message}`);
  }
}

async function readPem(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new CliError(`Error: cannot read the ${what} ${path}: ${(error as Error).message}`);
  }
}

/** `drover tls ca create` and `drover tls cert create` (Nomad's `nomad tls`). */
export function addTlsCommands(program: Command): void {
  const tls = program.command("tls").description("create a certificate authority and agent certificates");
  const ca = tls.command("ca").description("certificate authority");
  ca.command("create")
    .description(`create a CA in the working directory (${CA_FILE}, ${CA_KEY_FILE})`)
    .option("--days <n>", "days the CA is valid (default 1825)")
    .option("--common-name <name>", "the CA's common name")
    .action(
      action(async (flags: { days?: string; commonName?: string }) => {
        const days = intFlag(flags.days, "-days");
        const { createCa } = await import("../tls-certs.js");
        const pair = createCa({
          ...(days === undefined ? {} : { days }),
          ...(flags.commonName === undefined ? {} : { commonName: flags.commonName }),
        });
        await writeNew(CA_FILE, pair.cert, 0o644);
        await writeNew(CA_KEY_FILE, pair.key, 0o600);
        write(`==> CA certificate saved to: ${CA_FILE}\n==> CA certificate key saved to: ${CA_KEY_FILE}`);
        return 0;
      }),
    );
  const cert = tls.command("cert").description("agent and CLI certificates");
  cert
    .command("create")
    .description("create a certificate signed by the CA: -server, -client or -cli")
    .option("--server", "a server certificate (server.<region>.drover)")
    .option("--client", "a client certificate (client.<region>.drover)")
    .option("--cli", "a CLI certificate (cli.<region>.drover)")
    .option("--region <region>", "region in the role name (default global)", "global")
    .option("--ca <file>", "CA certificate", CA_FILE)
    .option("--key <file>", "CA key", CA_KEY_FILE)
    .option("--days <n>", "days the certificate is valid (default 365)")
    .addOption(
      cert
        .createOption("--additional-dnsname <name>", "another DNS name (repeatable)")
        .argParser(collect)
        .default([]),
    )
    .addOption(
      cert
        .createOption("--additional-ipaddress <ip>", "another IP address (repeatable)")
        .argParser(collect)
        .default([]),
    )
    .action(
      action(
        async (flags: {
          server?: boolean;
          client?: boolean;
          cli?: boolean;
          region: string;
          ca: string;
          key: string;
          days?: string;
          additionalDnsname: string[];
          additionalIpaddress: string[];
        }) => {
          const roles = (["server", "client", "cli"] as const).filter((r) => flags[r] === true);
          if (roles.length !== 1) throw new CliError("Error: give exactly one of -server, -client or -cli");
          const role = roles[0] as TlsRole;
          const days = intFlag(flags.days, "-days");
          const { createCert } = await import("../tls-certs.js");
          const pair = createCert(
            { cert: await readPem(flags.ca, "CA certificate"), key: await readPem(flags.key, "CA key") },
            {
              role,
              region: flags.region,
              ...(days === undefined ? {} : { days }),
              additionalDnsNames: flags.additionalDnsname,
              additionalIpAddresses: flags.additionalIpaddress,
            },
          );
          const files = certFileNames(role, flags.region);
          await writeNew(files.cert, pair.cert, 0o644);
          await writeNew(files.key, pair.key, 0o600);
          write(`==> Certificate saved to: ${files.cert}\n==> Certificate key saved to: ${files.key}`);
          return 0;
        },
      ),
    );
}
