// The generated message types of proto/server.proto under one namespace import (`import type * as P`),
// so that RPC code names them `P.JobRegisterRequest` rather than importing forty files.

export type { AclRequest, AclRequest__Output } from "../gen/proto/drover/server/AclRequest.js";
export type { AclResponse, AclResponse__Output } from "../gen/proto/drover/server/AclResponse.js";
export type {
  AllocClientUpdateRequest,
  AllocClientUpdateRequest__Output,
} from "../gen/proto/drover/server/AllocClientUpdateRequest.js";
export type {
  ClientAllocsUpdate,
  ClientAllocsUpdate__Output,
} from "../gen/proto/drover/server/ClientAllocsUpdate.js";
export type { Empty, Empty__Output } from "../gen/proto/drover/server/Empty.js";
export type { EvalAckRequest, EvalAckRequest__Output } from "../gen/proto/drover/server/EvalAckRequest.js";
export type {
  EvalDequeueRequest,
  EvalDequeueRequest__Output,
} from "../gen/proto/drover/server/EvalDequeueRequest.js";
export type {
  EvalDequeueResponse,
  EvalDequeueResponse__Output,
} from "../gen/proto/drover/server/EvalDequeueResponse.js";
export type {
  EvalUpsertRequest,
  EvalUpsertRequest__Output,
} from "../gen/proto/drover/server/EvalUpsertRequest.js";
export type {
  GcCommitRequest,
  GcCommitRequest__Output,
} from "../gen/proto/drover/server/GcCommitRequest.js";
export type { GetRequest, GetRequest__Output } from "../gen/proto/drover/server/GetRequest.js";
export type { GetResponse, GetResponse__Output } from "../gen/proto/drover/server/GetResponse.js";
export type {
  JobDeregisterRequest,
  JobDeregisterRequest__Output,
} from "../gen/proto/drover/server/JobDeregisterRequest.js";
export type {
  JobDispatchRequest,
  JobDispatchRequest__Output,
} from "../gen/proto/drover/server/JobDispatchRequest.js";
export type {
  JobDispatchResponse,
  JobDispatchResponse__Output,
} from "../gen/proto/drover/server/JobDispatchResponse.js";
export type { JobPlanRequest, JobPlanRequest__Output } from "../gen/proto/drover/server/JobPlanRequest.js";
export type { JobPlanResponse, JobPlanResponse__Output } from "../gen/proto/drover/server/JobPlanResponse.js";
export type {
  JobRegisterRequest,
  JobRegisterRequest__Output,
} from "../gen/proto/drover/server/JobRegisterRequest.js";
export type {
  JobRegisterResponse,
  JobRegisterResponse__Output,
} from "../gen/proto/drover/server/JobRegisterResponse.js";
export type {
  JobRelatedRequest,
  JobRelatedRequest__Output,
} from "../gen/proto/drover/server/JobRelatedRequest.js";
export type {
  JobStabilityRequest,
  JobStabilityRequest__Output,
} from "../gen/proto/drover/server/JobStabilityRequest.js";
export type {
  JobStabilityResponse,
  JobStabilityResponse__Output,
} from "../gen/proto/drover/server/JobStabilityResponse.js";
export type { ListRequest, ListRequest__Output } from "../gen/proto/drover/server/ListRequest.js";
export type { ListResponse, ListResponse__Output } from "../gen/proto/drover/server/ListResponse.js";
export type {
  NamespaceDeleteRequest,
  NamespaceDeleteRequest__Output,
} from "../gen/proto/drover/server/NamespaceDeleteRequest.js";
export type {
  NamespaceUpsertRequest,
  NamespaceUpsertRequest__Output,
} from "../gen/proto/drover/server/NamespaceUpsertRequest.js";
export type {
  NodeDeregisterRequest,
  NodeDeregisterRequest__Output,
} from "../gen/proto/drover/server/NodeDeregisterRequest.js";
export type {
  NodeGetClientAllocsRequest,
  NodeGetClientAllocsRequest__Output,
} from "../gen/proto/drover/server/NodeGetClientAllocsRequest.js";
export type {
  NodeHeartbeatRequest,
  NodeHeartbeatRequest__Output,
} from "../gen/proto/drover/server/NodeHeartbeatRequest.js";
export type {
  NodeRegisterRequest,
  NodeRegisterRequest__Output,
} from "../gen/proto/drover/server/NodeRegisterRequest.js";
export type {
  NodeUpdateDrainRequest,
  NodeUpdateDrainRequest__Output,
} from "../gen/proto/drover/server/NodeUpdateDrainRequest.js";
export type {
  NodeUpdateEligibilityRequest,
  NodeUpdateEligibilityRequest__Output,
} from "../gen/proto/drover/server/NodeUpdateEligibilityRequest.js";
export type {
  NodeUpdateResponse,
  NodeUpdateResponse__Output,
} from "../gen/proto/drover/server/NodeUpdateResponse.js";
export type {
  NodeUpdateStatusRequest,
  NodeUpdateStatusRequest__Output,
} from "../gen/proto/drover/server/NodeUpdateStatusRequest.js";
export type {
  PlanSubmitRequest,
  PlanSubmitRequest__Output,
} from "../gen/proto/drover/server/PlanSubmitRequest.js";
export type {
  PlanSubmitResponse,
  PlanSubmitResponse__Output,
} from "../gen/proto/drover/server/PlanSubmitResponse.js";
export type { QueryMeta, QueryMeta__Output } from "../gen/proto/drover/server/QueryMeta.js";
export type { QueryOptions, QueryOptions__Output } from "../gen/proto/drover/server/QueryOptions.js";
export type {
  SchedulerSetConfigRequest,
  SchedulerSetConfigRequest__Output,
} from "../gen/proto/drover/server/SchedulerSetConfigRequest.js";
export type {
  SchedulerSetConfigResponse,
  SchedulerSetConfigResponse__Output,
} from "../gen/proto/drover/server/SchedulerSetConfigResponse.js";
export type { ServerClient, ServerHandlers } from "../gen/proto/drover/server/Server.js";
export type {
  StatusLeaderResponse,
  StatusLeaderResponse__Output,
} from "../gen/proto/drover/server/StatusLeaderResponse.js";
export type {
  StatusPeersResponse,
  StatusPeersResponse__Output,
} from "../gen/proto/drover/server/StatusPeersResponse.js";
export type {
  VarDeleteRequest,
  VarDeleteRequest__Output,
} from "../gen/proto/drover/server/VarDeleteRequest.js";
export type { VarGetRequest, VarGetRequest__Output } from "../gen/proto/drover/server/VarGetRequest.js";
export type { VarPutRequest, VarPutRequest__Output } from "../gen/proto/drover/server/VarPutRequest.js";
export type { VarResponse, VarResponse__Output } from "../gen/proto/drover/server/VarResponse.js";
export type { WriteResponse, WriteResponse__Output } from "../gen/proto/drover/server/WriteResponse.js";
