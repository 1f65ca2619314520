import { ValidationError } from "../common/errors.js";
import type { SchedulerConfiguration } from "../fsm/index.js";
import type { ServerApi } from "../rpc/server-api.js";
import { ok } from "./api-shapes.js";
import { optionalBody } from "./deployment-routes.js";
import type { Handler } from "./http-server.js";
import { intParam, queryOptions } from "./query-params.js";
import { SCHEDULER_CONFIG } from "./request-schemas.js";
import type { Router } from "./router.js";

/** A boolean field of the body: absent or null is false (Go's zero value, as Nomad decodes it). */
function boolField(body: Record<string, unknown>, field: string, where: string): boolean {
  const value = body[field];
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") {
    throw new ValidationError(`must be a boolean, got ${JSON.stringify(value)}`, where);
  }
  return value;
}

/**
 * The body of `PUT /v1/operator/scheduler/configuration`: Nomad's SchedulerConfiguration, bare
 * (what Nomad's API client sends) or wrapped as the GET answers it (`{"SchedulerConfig": {...}}`).
 * An absent SchedulerAlgorithm is binpack; absent booleans are false.
 */
export function schedulerConfigFromBody(raw: Record<string, unknown>): SchedulerConfiguration {
  const wrapped = raw["SchedulerConfig"];
  const body =
    typeof wrapped === "object" && wrapped !== null && !Array.isArray(wrapped)
      ? (wrapped as Record<string, unknown>)
      : raw;
  const algorithm = body["SchedulerAlgorithm"] ?? "binpack";
  if (algorithm !== "binpack" && algorithm !== "spread") {
    throw new ValidationError(
      `must be "binpack" or "spread", got ${JSON.stringify(algorithm)}`,
      "SchedulerAlgorithm",
    );
  }
  const rawPreemption = body["PreemptionConfig"] ?? {};
  if (typeof rawPreemption !== "object" || Array.isArray(rawPreemption) || rawPreemption === null) {
    throw new ValidationError("must be an object", "PreemptionConfig");
  }
  const preemption = rawPreemption as Record<string, unknown>;
  const flag = (field: string): boolean => boolField(preemption, field, `PreemptionConfig.${field}`);
  return {
    SchedulerAlgorithm: algorithm,
    PreemptionConfig: {
      SystemSchedulerEnabled: flag("SystemSchedulerEnabled"),
      SysBatchSchedulerEnabled: flag("SysBatchSchedulerEnabled"),
      BatchSchedulerEnabled: flag("BatchSchedulerEnabled"),
      ServiceSchedulerEnabled: flag("ServiceSchedulerEnabled"),
    },
    MemoryOversubscriptionEnabled: boolField(
      body,
      "MemoryOversubscriptionEnabled",
      "MemoryOversubscriptionEnabled",
    ),
    RejectJobRegistration: boolField(body, "RejectJobRegistration", "RejectJobRegistration"),
    PauseEvalBroker: boolField(body, "PauseEvalBroker", "PauseEvalBroker"),
    CreateIndex: 0,
    ModifyIndex: 0,
  };
}

/**
 * Nomad's scheduler configuration (`/v1/operator/scheduler/configuration`) and forced garbage
 * collection (`PUT /v1/system/gc`). Both go through the ServerApi, so any agent answers them.
 */
export function operatorConfigRoutes(router: Router<Handler>, api: ServerApi): void {
  router.add("GET", "/v1/operator/scheduler/configuration", async (req) => {
    const res = await api.schedulerGetConfig(queryOptions(req.query));
    return ok({ SchedulerConfig: res.value, Index: res.meta.index }, res.meta);
  });
  const setConfig: Handler = async (req) => {
    const config = schedulerConfigFromBody(optionalBody(req));
    const res = await api.schedulerSetConfig(config, intParam(req.query, "cas"));
    return ok({ Updated: res.updated, Index: res.index });
  };
  router.add("PUT", "/v1/operator/scheduler/configuration", setConfig, SCHEDULER_CONFIG);
  router.add("POST", "/v1/operator/scheduler/configuration", setConfig, SCHEDULER_CONFIG);

  router.add("PUT", "/v1/system/gc", async () => {
    await api.systemGc();
    return ok({});
  });
}
