// Public surface of the node simulator (tests, bench/cluster.ts, `npm start`, `drover agent --dev`).
export { NodeSimulator, type NodeSimulatorOptions, type NodeSimulatorStats } from "./node-simulator.js";
export { type SimNodeSpec, simNode } from "./sim-node-spec.js";
