/**
 * Jobs from outside (HTTP JSON, an RPC's msgpack) are turned into complete, validated `Job`s by
 * src/jobspec/, the one place that owns Nomad's job specification; this re-export keeps the
 * server's import path.
 */
export { jobFromApiInput, jobFromInput } from "../../jobspec/index.js";
