// Public surface of src/server: the leader's machinery and the scheduler workers (the agent,
// RPC endpoints and forwarding add their own exports below).
export * from "./blocked-evals.js";
export * from "./clock.js";
export * from "./command-effects.js";
export * from "./context.js";
export * from "./deployment-watcher.js";
export * from "./dispatch.js";
export * from "./eval-broker.js";
export * from "./heartbeats.js";
export * from "./in-process-context.js";
export * from "./leader.js";
export * from "./leader-client.js";
export * from "./local-leader-client.js";
export * from "./manual-clock.js";
export * from "./new-evaluation.js";
export * from "./periodic.js";
export * from "./plan-applier.js";
export * from "./plan-overlay.js";
export * from "./plan-queue.js";
export * from "./plan-verify.js";
export * from "./scheduler-runner.js";
export * from "./worker.js";
