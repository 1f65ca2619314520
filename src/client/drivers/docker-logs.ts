import { createWriteStream } from "node:fs";
import type Dockerode from "dockerode";
import type { Logger } from "../../common/log.js";

/**
 * Streams a container's stdout and stderr into the task's log files (appending), from `sinceSec`
 * (Unix seconds; 0 = from the start). Resolves once streaming is set up; the stream ends by itself
 * when the container stops. Failures while streaming are logged, not thrown: logs are not the task.
 */
export async function followContainerLogs(
  docker: Dockerode,
  container: Dockerode.Container,
  paths: { stdoutPath: string; stderrPath: string },
  sinceSec: number,
  logger: Logger,
): Promise<void> {
  const stream = await container.logs({ follow: true, stdout: true, stderr: true, since: sinceSec });
  const stdout = createWriteStream(paths.stdoutPath, { flags: "a" });
  const stderr = createWriteStream(paths.stderrPath, { flags: "a" });
  const onError = (err: Error): void => {
    logger.warn({ err, container: container.id }, "streaming container logs failed");
  };
  stream.on("error", onError);
  stdout.on("error", onError);
  stderr.on("error", onError);
  docker.modem.demuxStream(stream, stdout, stderr);
  stream.on("end", () => {
    stdout.end();
    stderr.end();
  });
}
