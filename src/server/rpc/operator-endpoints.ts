import { ValidationError } from "../../common/errors.js";
import type { SchedulerConfiguration } from "../../fsm/index.js";
import type { QueryOptions, QueryResult, SchedulerSetConfigResult, ServerApi } from "../../rpc/server-api.js";
import type { EndpointContext } from "./endpoint-context.js";

type OperatorApi = Pick<ServerApi, "schedulerGetConfig" | "schedulerSetConfig" | "systemGc">;

/**
 * Cluster-wide settings and maintenance (Nomad's Operator.SchedulerGetConfiguration,
 * SchedulerSetConfiguration and System.GarbageCollect). The configuration is written with the
 * FSM's scheduler-config command; a forced GC is a core eval the leader's broker runs like the
 * periodic ones.
 */
export class OperatorEndpoints implements OperatorApi {
  constructor(private readonly c: EndpointContext) {}

  schedulerGetConfig(query: QueryOptions): Promise<QueryResult<SchedulerConfiguration>> {
    return this.c.read(
      query,
      ["scheduler_config"],
      (s) => s.schedulerConfig(),
      (c) => c.schedulerGetConfig(query),
    );
  }

  schedulerSetConfig(
    config: SchedulerConfiguration,
    cas: number | undefined,
  ): Promise<SchedulerSetConfigResult> {
    checkSchedulerConfig(config);
    if (cas !== undefined && (!Number.isSafeInteger(cas) || cas < 0)) {
      throw new ValidationError(`must be a non-negative integer, got ${JSON.stringify(cas)}`, "cas");
    }
    return this.c.write(
      async () => {
        const { result } = await this.c.propose({
          type: "scheduler-config",
          Config: {
            SchedulerAlgorithm: config.SchedulerAlgorithm,
            PreemptionConfig: {
              SystemSchedulerEnabled: config.PreemptionConfig.SystemSchedulerEnabled,
              SysBatchSchedulerEnabled: config.PreemptionConfig.SysBatchSchedulerEnabled,
              BatchSchedulerEnabled: config.PreemptionConfig.BatchSchedulerEnabled,
              ServiceSchedulerEnabled: config.PreemptionConfig.ServiceSchedulerEnabled,
            },
            MemoryOversubscriptionEnabled: config.MemoryOversubscriptionEnabled,
            RejectJobRegistration: config.RejectJobRegistration,
            PauseEvalBroker: config.PauseEvalBroker,
            CreateIndex: 0,
            ModifyIndex: 0,
          },
          CAS: cas ?? null,
        });
        return { updated: result.Updated, index: result.Index };
      },
      (c) => c.schedulerSetConfig(config, cas),
    );
  }

  systemGc(): Promise<void> {
    return this.c.write(
      async () => {
        this.c.leaderDuties().forceGc();
      },
      (c) => c.systemGc(),
    );
  }
}

const PREEMPTION_FIELDS = [
  "SystemSchedulerEnabled",
  "SysBatchSchedulerEnabled",
  "BatchSchedulerEnabled",
  "ServiceSchedulerEnabled",
] as const;

const BOOLEAN_FIELDS = ["MemoryOversubscriptionEnabled", "RejectJobRegistration", "PauseEvalBroker"] as const;

/** What the FSM would refuse, as a 400 that says where (RPC callers skip the HTTP parsing). */
export function checkSchedulerConfig(config: SchedulerConfiguration): void {
  const algorithm: unknown = config.SchedulerAlgorithm;
  if (algorithm !== "binpack" && algorithm !== "spread") {
    throw new ValidationError(
      `must be "binpack" or "spread", got ${JSON.stringify(algorithm ?? null)}`,
      "SchedulerAlgorithm",
    );
  }
  const preemption: unknown = config.PreemptionConfig;
  if (typeof preemption !== "object" || preemption === null || Array.isArray(preemption)) {
    throw new ValidationError("must be an object", "PreemptionConfig");
  }
  for (const field of PREEMPTION_FIELDS) {
    const value = (preemption as Record<string, unknown>)[field];
    if (typeof value !== "boolean") {
      throw new ValidationError(
        `must be a boolean, got ${JSON.stringify(value ?? null)}`,
        `PreemptionConfig.${field}`,
      );
    }
  }
  for (const field of BOOLEAN_FIELDS) {
    const value: unknown = config[field];
    if (typeof value !== "boolean") {
      throw new ValidationError(`must be a boolean, got ${JSON.stringify(value ?? null)}`, field);
    }
  }
}
