import { execFile } from "node:child_process";

export interface JavaVersion {
  version: string;
  runtime: string;
  vm: string;
}

/**
 * Parses `java -version` (printed on stderr), e.g.
 *   openjdk version "17.0.15" 2025-04-15
 *   OpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)
 *   OpenJDK 64-Bit Server VM (build 17.0.15+6-Debian-1deb12u1, mixed mode, sharing)
 * into the version in quotes, the runtime line and the VM line, as Nomad's java driver does.
 * JVM banners printed first (e.g. "Picked up JAVA_TOOL_OPTIONS") are skipped.
 */
export function parseJavaVersion(output: string): JavaVersion | undefined {
  const lines = output.split("\n").map((l) => l.trim());
  const first = lines.findIndex((l) => /version "[^"]+"/.test(l));
  if (first < 0) return undefined;
  const version = /version "([^"]+)"/.exec(lines[first] as string)?.[1] as string;
  return { version, runtime: lines[first + 1] ?? "", vm: lines[first + 2] ?? "" };
}

/** Runs `java -version` with a timeout; rejects when java is missing or fails. */
export function probeJava(javaCommand = "java", timeoutMs = 10_000): Promise<JavaVersion> {
  return new Promise((resolve, reject) => {
    execFile(javaCommand, ["-version"], { timeout: timeoutMs }, (err, _stdout, stderr) => {
      if (err !== null) {
        reject(err);
        return;
      }
      const parsed = parseJavaVersion(stderr);
      if (parsed === undefined) reject(new Error(`unrecognised "java -version" output: ${stderr.trim()}`));
      else resolve(parsed);
    });
  });
}
