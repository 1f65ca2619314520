/**
 * `npm run bench -- jobspec [--parses 500] [--registers 200]`
 *
 * 1. Parse + canonicalize + validate of a ~200-line HCL job file (variables, locals, four groups
 *    with networks, updates, spreads, restarts, lifecycle tasks), in this process: p50/p99 ms.
 * 2. HTTP register round trip on a real 3-server cluster: POST /v1/jobs of the parsed job to
 *    the leader, one at a time, each a new job ID (so each is one Raft write of a new job and
 *    its eval): p50/p99 ms.
 */
import { LocalCluster } from "../src/cli/local-cluster.js";
import { parseJobHcl } from "../src/jobspec/index.js";
import { type BenchResult, percentile } from "./harness.js";

function group(i: number): string {
  return `
  group "g${i}" {
    count = var.replicas

    network {
      port "http" {
        to = 8080
      }
      port "admin" {}
    }

    update {
      max_parallel     = 2
      min_healthy_time = "10s"
      healthy_deadline = "2m"
      canary           = 1
    }

    spread {
      attribute = "\${node.datacenter}"
      weight    = 50
    }

    restart {
      attempts = 3
      interval = "5m"
      delay    = "15s"
      mode     = "delay"
    }

    task "setup" {
      driver = "raw_exec"
      lifecycle {
        hook = "prestart"
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "echo preparing \${NOMAD_ALLOC_ID}"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }

    task "app" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["3600"]
      }
      env {
        PORT    = "\${NOMAD_PORT_http}"
        VERSION = upper(local.version)
      }
      resources {
        cpu    = 100
        memory = 64
      }
      kill_timeout = "10s"
    }
  }
`;
}

export function benchJobFile(): string {
  return `variable "replicas" {
  type    = number
  default = 2
}

locals {
  version = "v1.2.3"
}

job "bench" {
  datacenters = ["dc1"]
  type        = "service"

  meta {
    owner = "bench"
  }

  constraint {
    attribute = "\${attr.kernel.name}"
    value     = "linux"
  }
${[0, 1, 2].map(group).join("")}}
`;
}

function parseArgs(argv: string[]): { parses: number; registers: number } {
  const args = { parses: 500, registers: 200 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--?/, "") as keyof typeof args;
    const value = Number(argv[i + 1]);
    if (!(key in args) || !Number.isInteger(value) || value < 1)
      throw new Error(`bench jobspec: bad argument ${argv[i]} ${argv[i + 1]}`);
    args[key] = value;
  }
  return args;
}

export async function run(argv: string[]): Promise<BenchResult> {
  const args = parseArgs(argv);
  const text = benchJobFile();
  const lines = text.split("\n").length;
  for (let i = 0; i < 50; i++) await parseJobHcl(text, "bench.hcl"); // warm-up
  const parseMs: number[] = [];
  for (let i = 0; i < args.parses; i++) {
    const start = performance.now();
    await parseJobHcl(text, "bench.hcl");
    parseMs.push(performance.now() - start);
  }
  const { job } = await parseJobHcl(text, "bench.hcl");

  const cluster = await LocalCluster.start({ servers: 3, logLevel: "warn" });
  const registerMs: number[] = [];
  try {
    const leader = await cluster.waitForLeader(60_000);
    for (let i = 0; i < 20; i++)
      await cluster.http(leader, "POST", "/v1/jobs", { Job: { ...job, ID: `warm-${i}` } });
    for (let i = 0; i < args.registers; i++) {
      const start = performance.now();
      const res = await cluster.http(leader, "POST", "/v1/jobs", { Job: { ...job, ID: `bench-${i}` } });
      registerMs.push(performance.now() - start);
      if (res.status !== 200) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
    }
  } finally {
    await cluster.stop();
  }
  return {
    metrics: {
      job_file_lines: lines,
      parse_ms_p50: percentile(parseMs, 50),
      parse_ms_p99: percentile(parseMs, 99),
      register_p50_ms: percentile(registerMs, 50),
      register_p99_ms: percentile(registerMs, 99),
    },
    notes: [
      "parse: HCL → canonical, validated Job in this process (hcl2json is WebAssembly)",
      "register: HTTP POST /v1/jobs to the leader of 3 servers on loopback, one request at a time",
      "goals: parse_ms_p50 ≤ 5, register_p50_ms ≤ 5",
    ],
  };
}
