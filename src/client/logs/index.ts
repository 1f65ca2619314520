// Public surface of src/client/logs: task log files (rotation, reading and following) and the
// ClientFs gRPC service through which servers reach them.
export { addClientFsService, type LogSource } from "./client-fs-service.js";
export { logFileName } from "./log-files.js";
export { type ReadTaskLogsOptions, readTaskLogs } from "./log-reader.js";
export {
  type LogOrigin,
  type LogType,
  validateLogType,
  validateOffset,
  validateOrigin,
  validateTaskName,
} from "./log-request.js";
export { LogRotator, type LogRotatorOptions } from "./log-rotator.js";
