import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AclRequest as _drover_server_AclRequest, AclRequest__Output as _drover_server_AclRequest__Output } from './drover/server/AclRequest.js';
import type { AclResponse as _drover_server_AclResponse, AclResponse__Output as _drover_server_AclResponse__Output } from './drover/server/AclResponse.js';
import type { AllocClientUpdateRequest as _drover_server_AllocClientUpdateRequest, AllocClientUpdateRequest__Output as _drover_server_AllocClientUpdateRequest__Output } from './drover/server/AllocClientUpdateRequest.js';
import type { AllocStopRequest as _drover_server_AllocStopRequest, AllocStopRequest__Output as _drover_server_AllocStopRequest__Output } from './drover/server/AllocStopRequest.js';
import type { ClientAllocsUpdate as _drover_server_ClientAllocsUpdate, ClientAllocsUpdate__Output as _drover_server_ClientAllocsUpdate__Output } from './drover/server/ClientAllocsUpdate.js';
import type { DeploymentUpdateRequest as _drover_server_DeploymentUpdateRequest, DeploymentUpdateRequest__Output as _drover_server_DeploymentUpdateRequest__Output } from './drover/server/DeploymentUpdateRequest.js';
import type { Empty as _drover_server_Empty, Empty__Output as _drover_server_Empty__Output } from './drover/server/Empty.js';
import type { EvalAckRequest as _drover_server_EvalAckRequest, EvalAckRequest__Output as _drover_server_EvalAckRequest__Output } from './drover/server/EvalAckRequest.js';
import type { EvalDequeueRequest as _drover_server_EvalDequeueRequest, EvalDequeueRequest__Output as _drover_server_EvalDequeueRequest__Output } from './drover/server/EvalDequeueRequest.js';
import type { EvalDequeueResponse as _drover_server_EvalDequeueResponse, EvalDequeueResponse__Output as _drover_server_EvalDequeueResponse__Output } from './drover/server/EvalDequeueResponse.js';
import type { EvalUpsertRequest as _drover_server_EvalUpsertRequest, EvalUpsertRequest__Output as _drover_server_EvalUpsertRequest__Output } from './drover/server/EvalUpsertRequest.js';
import type { EvalWriteResponse as _drover_server_EvalWriteResponse, EvalWriteResponse__Output as _drover_server_EvalWriteResponse__Output } from './drover/server/EvalWriteResponse.js';
import type { GcCommitRequest as _drover_server_GcCommitRequest, GcCommitRequest__Output as _drover_server_GcCommitRequest__Output } from './drover/server/GcCommitRequest.js';
import type { GetRequest as _drover_server_GetRequest, GetRequest__Output as _drover_server_GetRequest__Output } from './drover/server/GetRequest.js';
import type { GetResponse as _drover_server_GetResponse, GetResponse__Output as _drover_server_GetResponse__Output } from './drover/server/GetResponse.js';
import type { JobDeregisterRequest as _drover_server_JobDeregisterRequest, JobDeregisterRequest__Output as _drover_server_JobDeregisterRequest__Output } from './drover/server/JobDeregisterRequest.js';
import type { JobDispatchRequest as _drover_server_JobDispatchRequest, JobDispatchRequest__Output as _drover_server_JobDispatchRequest__Output } from './drover/server/JobDispatchRequest.js';
import type { JobDispatchResponse as _drover_server_JobDispatchResponse, JobDispatchResponse__Output as _drover_server_JobDispatchResponse__Output } from './drover/server/JobDispatchResponse.js';
import type { JobEvaluateRequest as _drover_server_JobEvaluateRequest, JobEvaluateRequest__Output as _drover_server_JobEvaluateRequest__Output } from './drover/server/JobEvaluateRequest.js';
import type { JobPlanRequest as _drover_server_JobPlanRequest, JobPlanRequest__Output as _drover_server_JobPlanRequest__Output } from './drover/server/JobPlanRequest.js';
import type { JobPlanResponse as _drover_server_JobPlanResponse, JobPlanResponse__Output as _drover_server_JobPlanResponse__Output } from './drover/server/JobPlanResponse.js';
import type { JobRegisterRequest as _drover_server_JobRegisterRequest, JobRegisterRequest__Output as _drover_server_JobRegisterRequest__Output } from './drover/server/JobRegisterRequest.js';
import type { JobRegisterResponse as _drover_server_JobRegisterResponse, JobRegisterResponse__Output as _drover_server_JobRegisterResponse__Output } from './drover/server/JobRegisterResponse.js';
import type { JobRelatedRequest as _drover_server_JobRelatedRequest, JobRelatedRequest__Output as _drover_server_JobRelatedRequest__Output } from './drover/server/JobRelatedRequest.js';
import type { JobRevertRequest as _drover_server_JobRevertRequest, JobRevertRequest__Output as _drover_server_JobRevertRequest__Output } from './drover/server/JobRevertRequest.js';
import type { JobScaleRequest as _drover_server_JobScaleRequest, JobScaleRequest__Output as _drover_server_JobScaleRequest__Output } from './drover/server/JobScaleRequest.js';
import type { JobStabilityRequest as _drover_server_JobStabilityRequest, JobStabilityRequest__Output as _drover_server_JobStabilityRequest__Output } from './drover/server/JobStabilityRequest.js';
import type { JobStabilityResponse as _drover_server_JobStabilityResponse, JobStabilityResponse__Output as _drover_server_JobStabilityResponse__Output } from './drover/server/JobStabilityResponse.js';
import type { ListRequest as _drover_server_ListRequest, ListRequest__Output as _drover_server_ListRequest__Output } from './drover/server/ListRequest.js';
import type { ListResponse as _drover_server_ListResponse, ListResponse__Output as _drover_server_ListResponse__Output } from './drover/server/ListResponse.js';
import type { NamespaceDeleteRequest as _drover_server_NamespaceDeleteRequest, NamespaceDeleteRequest__Output as _drover_server_NamespaceDeleteRequest__Output } from './drover/server/NamespaceDeleteRequest.js';
import type { NamespaceUpsertRequest as _drover_server_NamespaceUpsertRequest, NamespaceUpsertRequest__Output as _drover_server_NamespaceUpsertRequest__Output } from './drover/server/NamespaceUpsertRequest.js';
import type { NodeDeregisterRequest as _drover_server_NodeDeregisterRequest, NodeDeregisterRequest__Output as _drover_server_NodeDeregisterRequest__Output } from './drover/server/NodeDeregisterRequest.js';
import type { NodeGetClientAllocsRequest as _drover_server_NodeGetClientAllocsRequest, NodeGetClientAllocsRequest__Output as _drover_server_NodeGetClientAllocsRequest__Output } from './drover/server/NodeGetClientAllocsRequest.js';
import type { NodeHeartbeatRequest as _drover_server_NodeHeartbeatRequest, NodeHeartbeatRequest__Output as _drover_server_NodeHeartbeatRequest__Output } from './drover/server/NodeHeartbeatRequest.js';
import type { NodeRegisterRequest as _drover_server_NodeRegisterRequest, NodeRegisterRequest__Output as _drover_server_NodeRegisterRequest__Output } from './drover/server/NodeRegisterRequest.js';
import type { NodeUpdateDrainRequest as _drover_server_NodeUpdateDrainRequest, NodeUpdateDrainRequest__Output as _drover_server_NodeUpdateDrainRequest__Output } from './drover/server/NodeUpdateDrainRequest.js';
import type { NodeUpdateEligibilityRequest as _drover_server_NodeUpdateEligibilityRequest, NodeUpdateEligibilityRequest__Output as _drover_server_NodeUpdateEligibilityRequest__Output } from './drover/server/NodeUpdateEligibilityRequest.js';
import type { NodeUpdateResponse as _drover_server_NodeUpdateResponse, NodeUpdateResponse__Output as _drover_server_NodeUpdateResponse__Output } from './drover/server/NodeUpdateResponse.js';
import type { NodeUpdateStatusRequest as _drover_server_NodeUpdateStatusRequest, NodeUpdateStatusRequest__Output as _drover_server_NodeUpdateStatusRequest__Output } from './drover/server/NodeUpdateStatusRequest.js';
import type { PlanSubmitRequest as _drover_server_PlanSubmitRequest, PlanSubmitRequest__Output as _drover_server_PlanSubmitRequest__Output } from './drover/server/PlanSubmitRequest.js';
import type { PlanSubmitResponse as _drover_server_PlanSubmitResponse, PlanSubmitResponse__Output as _drover_server_PlanSubmitResponse__Output } from './drover/server/PlanSubmitResponse.js';
import type { QueryMeta as _drover_server_QueryMeta, QueryMeta__Output as _drover_server_QueryMeta__Output } from './drover/server/QueryMeta.js';
import type { QueryOptions as _drover_server_QueryOptions, QueryOptions__Output as _drover_server_QueryOptions__Output } from './drover/server/QueryOptions.js';
import type { SchedulerSetConfigRequest as _drover_server_SchedulerSetConfigRequest, SchedulerSetConfigRequest__Output as _drover_server_SchedulerSetConfigRequest__Output } from './drover/server/SchedulerSetConfigRequest.js';
import type { SchedulerSetConfigResponse as _drover_server_SchedulerSetConfigResponse, SchedulerSetConfigResponse__Output as _drover_server_SchedulerSetConfigResponse__Output } from './drover/server/SchedulerSetConfigResponse.js';
import type { ServerClient as _drover_server_ServerClient, ServerDefinition as _drover_server_ServerDefinition } from './drover/server/Server.js';
import type { ServerAddress as _drover_server_ServerAddress, ServerAddress__Output as _drover_server_ServerAddress__Output } from './drover/server/ServerAddress.js';
import type { StatusLeaderResponse as _drover_server_StatusLeaderResponse, StatusLeaderResponse__Output as _drover_server_StatusLeaderResponse__Output } from './drover/server/StatusLeaderResponse.js';
import type { StatusPeersResponse as _drover_server_StatusPeersResponse, StatusPeersResponse__Output as _drover_server_StatusPeersResponse__Output } from './drover/server/StatusPeersResponse.js';
import type { VarDeleteRequest as _drover_server_VarDeleteRequest, VarDeleteRequest__Output as _drover_server_VarDeleteRequest__Output } from './drover/server/VarDeleteRequest.js';
import type { VarGetRequest as _drover_server_VarGetRequest, VarGetRequest__Output as _drover_server_VarGetRequest__Output } from './drover/server/VarGetRequest.js';
import type { VarPutRequest as _drover_server_VarPutRequest, VarPutRequest__Output as _drover_server_VarPutRequest__Output } from './drover/server/VarPutRequest.js';
import type { VarResponse as _drover_server_VarResponse, VarResponse__Output as _drover_server_VarResponse__Output } from './drover/server/VarResponse.js';
import type { WriteResponse as _drover_server_WriteResponse, WriteResponse__Output as _drover_server_WriteResponse__Output } from './drover/server/WriteResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  drover: {
    server: {
      AclRequest: MessageTypeDefinition<_drover_server_AclRequest, _drover_server_AclRequest__Output>
      AclResponse: MessageTypeDefinition<_drover_server_AclResponse, _drover_server_AclResponse__Output>
      AllocClientUpdateRequest: MessageTypeDefinition<_drover_server_AllocClientUpdateRequest, _drover_server_AllocClientUpdateRequest__Output>
      AllocStopRequest: MessageTypeDefinition<_drover_server_AllocStopRequest, _drover_server_AllocStopRequest__Output>
      ClientAllocsUpdate: MessageTypeDefinition<_drover_server_ClientAllocsUpdate, _drover_server_ClientAllocsUpdate__Output>
      DeploymentUpdateRequest: MessageTypeDefinition<_drover_server_DeploymentUpdateRequest, _drover_server_DeploymentUpdateRequest__Output>
      Empty: MessageTypeDefinition<_drover_server_Empty, _drover_server_Empty__Output>
      EvalAckRequest: MessageTypeDefinition<_drover_server_EvalAckRequest, _drover_server_EvalAckRequest__Output>
      EvalDequeueRequest: MessageTypeDefinition<_drover_server_EvalDequeueRequest, _drover_server_EvalDequeueRequest__Output>
      EvalDequeueResponse: MessageTypeDefinition<_drover_server_EvalDequeueResponse, _drover_server_EvalDequeueResponse__Output>
      EvalUpsertRequest: MessageTypeDefinition<_drover_server_EvalUpsertRequest, _drover_server_EvalUpsertRequest__Output>
      EvalWriteResponse: MessageTypeDefinition<_drover_server_EvalWriteResponse, _drover_server_EvalWriteResponse__Output>
      GcCommitRequest: MessageTypeDefinition<_drover_server_GcCommitRequest, _drover_server_GcCommitRequest__Output>
      GetRequest: MessageTypeDefinition<_drover_server_GetRequest, _drover_server_GetRequest__Output>
      GetResponse: MessageTypeDefinition<_drover_server_GetResponse, _drover_server_GetResponse__Output>
      JobDeregisterRequest: MessageTypeDefinition<_drover_server_JobDeregisterRequest, _drover_server_JobDeregisterRequest__Output>
      JobDispatchRequest: MessageTypeDefinition<_drover_server_JobDispatchRequest, _drover_server_JobDispatchRequest__Output>
      JobDispatchResponse: MessageTypeDefinition<_drover_server_JobDispatchResponse, _drover_server_JobDispatchResponse__Output>
      JobEvaluateRequest: MessageTypeDefinition<_drover_server_JobEvaluateRequest, _drover_server_JobEvaluateRequest__Output>
      JobPlanRequest: MessageTypeDefinition<_drover_server_JobPlanRequest, _drover_server_JobPlanRequest__Output>
      JobPlanResponse: MessageTypeDefinition<_drover_server_JobPlanResponse, _drover_server_JobPlanResponse__Output>
      JobRegisterRequest: MessageTypeDefinition<_drover_server_JobRegisterRequest, _drover_server_JobRegisterRequest__Output>
      JobRegisterResponse: MessageTypeDefinition<_drover_server_JobRegisterResponse, _drover_server_JobRegisterResponse__Output>
      JobRelatedRequest: MessageTypeDefinition<_drover_server_JobRelatedRequest, _drover_server_JobRelatedRequest__Output>
      JobRevertRequest: MessageTypeDefinition<_drover_server_JobRevertRequest, _drover_server_JobRevertRequest__Output>
      JobScaleRequest: MessageTypeDefinition<_drover_server_JobScaleRequest, _drover_server_JobScaleRequest__Output>
      JobStabilityRequest: MessageTypeDefinition<_drover_server_JobStabilityRequest, _drover_server_JobStabilityRequest__Output>
      JobStabilityResponse: MessageTypeDefinition<_drover_server_JobStabilityResponse, _drover_server_JobStabilityResponse__Output>
      ListRequest: MessageTypeDefinition<_drover_server_ListRequest, _drover_server_ListRequest__Output>
      ListResponse: MessageTypeDefinition<_drover_server_ListResponse, _drover_server_ListResponse__Output>
      NamespaceDeleteRequest: MessageTypeDefinition<_drover_server_NamespaceDeleteRequest, _drover_server_NamespaceDeleteRequest__Output>
      NamespaceUpsertRequest: MessageTypeDefinition<_drover_server_NamespaceUpsertRequest, _drover_server_NamespaceUpsertRequest__Output>
      NodeDeregisterRequest: MessageTypeDefinition<_drover_server_NodeDeregisterRequest, _drover_server_NodeDeregisterRequest__Output>
      NodeGetClientAllocsRequest: MessageTypeDefinition<_drover_server_NodeGetClientAllocsRequest, _drover_server_NodeGetClientAllocsRequest__Output>
      NodeHeartbeatRequest: MessageTypeDefinition<_drover_server_NodeHeartbeatRequest, _drover_server_NodeHeartbeatRequest__Output>
      NodeRegisterRequest: MessageTypeDefinition<_drover_server_NodeRegisterRequest, _drover_server_NodeRegisterRequest__Output>
      NodeUpdateDrainRequest: MessageTypeDefinition<_drover_server_NodeUpdateDrainRequest, _drover_server_NodeUpdateDrainRequest__Output>
      NodeUpdateEligibilityRequest: MessageTypeDefinition<_drover_server_NodeUpdateEligibilityRequest, _drover_server_NodeUpdateEligibilityRequest__Output>
      NodeUpdateResponse: MessageTypeDefinition<_drover_server_NodeUpdateResponse, _drover_server_NodeUpdateResponse__Output>
      NodeUpdateStatusRequest: MessageTypeDefinition<_drover_server_NodeUpdateStatusRequest, _drover_server_NodeUpdateStatusRequest__Output>
      PlanSubmitRequest: MessageTypeDefinition<_drover_server_PlanSubmitRequest, _drover_server_PlanSubmitRequest__Output>
      PlanSubmitResponse: MessageTypeDefinition<_drover_server_PlanSubmitResponse, _drover_server_PlanSubmitResponse__Output>
      QueryMeta: MessageTypeDefinition<_drover_server_QueryMeta, _drover_server_QueryMeta__Output>
      QueryOptions: MessageTypeDefinition<_drover_server_QueryOptions, _drover_server_QueryOptions__Output>
      SchedulerSetConfigRequest: MessageTypeDefinition<_drover_server_SchedulerSetConfigRequest, _drover_server_SchedulerSetConfigRequest__Output>
      SchedulerSetConfigResponse: MessageTypeDefinition<_drover_server_SchedulerSetConfigResponse, _drover_server_SchedulerSetConfigResponse__Output>
      Server: SubtypeConstructor<typeof grpc.Client, _drover_server_ServerClient> & { service: _drover_server_ServerDefinition }
      ServerAddress: MessageTypeDefinition<_drover_server_ServerAddress, _drover_server_ServerAddress__Output>
      StatusLeaderResponse: MessageTypeDefinition<_drover_server_StatusLeaderResponse, _drover_server_StatusLeaderResponse__Output>
      StatusPeersResponse: MessageTypeDefinition<_drover_server_StatusPeersResponse, _drover_server_StatusPeersResponse__Output>
      VarDeleteRequest: MessageTypeDefinition<_drover_server_VarDeleteRequest, _drover_server_VarDeleteRequest__Output>
      VarGetRequest: MessageTypeDefinition<_drover_server_VarGetRequest, _drover_server_VarGetRequest__Output>
      VarPutRequest: MessageTypeDefinition<_drover_server_VarPutRequest, _drover_server_VarPutRequest__Output>
      VarResponse: MessageTypeDefinition<_drover_server_VarResponse, _drover_server_VarResponse__Output>
      WriteResponse: MessageTypeDefinition<_drover_server_WriteResponse, _drover_server_WriteResponse__Output>
    }
  }
}

