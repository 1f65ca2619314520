import type Dockerode from "dockerode";
import { TaskConfigError } from "../../common/errors.js";
import { optionalString, optionalStringList, rejectUnknownKeys, requiredString } from "./config-fields.js";
import type { TaskStartSpec } from "./driver.js";

/** The `config` of a docker task. */
export interface DockerConfig {
  image: string;
  command: string | undefined;
  args: string[];
  /** Labels of the alloc's ports to publish. */
  ports: string[];
  networkMode: string | undefined;
}

export function parseDockerConfig(config: Record<string, unknown>): DockerConfig {
  rejectUnknownKeys(config, ["image", "command", "args", "ports", "network_mode"]);
  return {
    image: requiredString(config, "image"),
    command: optionalString(config, "command") || undefined,
    args: optionalStringList(config, "args") ?? [],
    ports: optionalStringList(config, "ports") ?? [],
    networkMode: optionalString(config, "network_mode") || undefined,
  };
}

/** Labels that tie a container to its task (and let an operator find it). */
export const ALLOC_ID_LABEL = "io.drover.alloc_id";
export const TASK_NAME_LABEL = "io.drover.task_name";

const MIB = 1024 * 1024;

/** The container name of a task: unique per alloc and task, valid for Docker. */
export function containerName(spec: TaskStartSpec): string {
  return `${spec.taskName}-${spec.allocId}`.replace(/[^A-Za-z0-9_.-]/g, "_");
}

/**
 * Docker's create options for a task. Published ports: each label of `ports` names one of the
 * alloc's ports, whose host port is bound to the container's `To` port (the host port itself
 * when `To` is unset), for tcp and udp. Memory: memory_max as the hard limit when above memory,
 * which is then the reservation. CPU: MHz as relative shares, as exec does.
 */
export function containerCreateOptions(
  config: DockerConfig,
  spec: TaskStartSpec,
): Dockerode.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const label of config.ports) {
    const port = spec.ports.find((p) => p.Label === label);
    if (port === undefined)
      throw new TaskConfigError(`no port labelled ${JSON.stringify(label)} in the alloc`, "ports");
    const to = port.To > 0 ? port.To : port.Value;
    for (const proto of ["tcp", "udp"]) {
      exposed[`${to}/${proto}`] = {};
      bindings[`${to}/${proto}`] = [{ HostIp: port.HostIP, HostPort: String(port.Value) }];
    }
  }
  const { memoryMB, memoryMaxMB, cpuMhz } = spec.resources;
  const hard = Math.max(memoryMB, memoryMaxMB);
  const cmd = config.command === undefined ? config.args : [config.command, ...config.args];
  return {
    name: containerName(spec),
    Image: config.image,
    ...(cmd.length > 0 ? { Cmd: cmd } : {}),
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Labels: { [ALLOC_ID_LABEL]: spec.allocId, [TASK_NAME_LABEL]: spec.taskName },
    ExposedPorts: exposed,
    HostConfig: {
      ...(hard > 0 ? { Memory: hard * MIB } : {}),
      ...(memoryMaxMB > memoryMB && memoryMB > 0 ? { MemoryReservation: memoryMB * MIB } : {}),
      ...(cpuMhz > 0 ? { CpuShares: Math.max(2, Math.round(cpuMhz)) } : {}),
      PortBindings: bindings,
      ...(config.networkMode === undefined ? {} : { NetworkMode: config.networkMode }),
    },
  };
}
