// Public surface of src/client/logs: task log files (rotation, reading and following) and the
// ClientFs gRPC service through which servers reach them.
export { type LogType, logFileName, validateLogType, validateTaskName } from "./log-files.js";
export { type ReadTaskLogsOptions, readTaskLogs } from "./log-reader.js";
export { LogRotator, type LogRotatorOptions } from "./log-rotator.js";
