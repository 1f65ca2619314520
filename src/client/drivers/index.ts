import { DockerDriver } from "./docker-driver.js";
import type { Driver, DriverContext } from "./driver.js";
import { ExecDriver } from "./exec-driver.js";
import { JavaDriver } from "./java-driver.js";
import { MockDriver } from "./mock-driver.js";
import { RawExecDriver } from "./raw-exec-driver.js";

export type { CgroupSupport } from "./cgroups.js";
export { DockerDriver } from "./docker-driver.js";
export type {
  Driver,
  DriverContext,
  DriverFingerprint,
  ExitResult,
  RecoverResult,
  RunningTask,
  TaskHandle,
  TaskStartSpec,
} from "./driver.js";
export { ExecDriver } from "./exec-driver.js";
export { exitResult, signalNumber } from "./exit-result.js";
export { JavaDriver } from "./java-driver.js";
export { MockDriver } from "./mock-driver.js";
export { RawExecDriver } from "./raw-exec-driver.js";

/** Drivers that exist only when the operator enables them (Nomad disables raw_exec by default). */
export const OPT_IN_DRIVERS: readonly string[] = ["raw_exec", "mock"];

/**
 * The client's drivers by name: exec, java and docker always (each fingerprints its own health);
 * raw_exec and mock only when named in `enabled`.
 */
export function createDrivers(options: {
  enabled: ReadonlySet<string>;
  ctx: DriverContext;
}): Map<string, Driver> {
  const { enabled, ctx } = options;
  const drivers: Driver[] = [new ExecDriver(ctx), new JavaDriver(ctx), new DockerDriver(ctx)];
  if (enabled.has("raw_exec")) drivers.push(new RawExecDriver(ctx));
  if (enabled.has("mock")) drivers.push(new MockDriver(ctx));
  return new Map(drivers.map((d) => [d.name, d]));
}
