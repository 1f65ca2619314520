import { TaskConfigError } from "../../common/errors.js";
import { optionalString, optionalStringList, rejectUnknownKeys } from "./config-fields.js";

/** The `config` of a java task: either a jar or a main class (with its class path). */
export interface JavaConfig {
  jarPath: string | undefined;
  className: string | undefined;
  classPath: string | undefined;
  jvmOptions: string[];
  args: string[];
}

export function parseJavaConfig(config: Record<string, unknown>): JavaConfig {
  rejectUnknownKeys(config, ["jar_path", "class", "class_path", "jvm_options", "args"]);
  const parsed: JavaConfig = {
    jarPath: nonEmpty(optionalString(config, "jar_path")),
    className: nonEmpty(optionalString(config, "class")),
    classPath: nonEmpty(optionalString(config, "class_path")),
    jvmOptions: optionalStringList(config, "jvm_options") ?? [],
    args: optionalStringList(config, "args") ?? [],
  };
  if ((parsed.jarPath === undefined) === (parsed.className === undefined)) {
    throw new TaskConfigError("exactly one of jar_path or class must be set", "jar_path");
  }
  return parsed;
}

/** The arguments of `java` for a task: JVM options, class path, then the jar or class, then args. */
export function javaArgs(config: JavaConfig): string[] {
  return [
    ...config.jvmOptions,
    ...(config.classPath === undefined ? [] : ["-cp", config.classPath]),
    ...(config.jarPath === undefined ? [config.className as string] : ["-jar", config.jarPath]),
    ...config.args,
  ];
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === "" ? undefined : value;
}
