// Original file: proto/server.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AclRequest as _drover_server_AclRequest, AclRequest__Output as _drover_server_AclRequest__Output } from '../../drover/server/AclRequest.js';
import type { AclResponse as _drover_server_AclResponse, AclResponse__Output as _drover_server_AclResponse__Output } from '../../drover/server/AclResponse.js';
import type { AllocClientUpdateRequest as _drover_server_AllocClientUpdateRequest, AllocClientUpdateRequest__Output as _drover_server_AllocClientUpdateRequest__Output } from '../../drover/server/AllocClientUpdateRequest.js';
import type { AllocStopRequest as _drover_server_AllocStopRequest, AllocStopRequest__Output as _drover_server_AllocStopRequest__Output } from '../../drover/server/AllocStopRequest.js';
import type { ClientAllocsUpdate as _drover_server_ClientAllocsUpdate, ClientAllocsUpdate__Output as _drover_server_ClientAllocsUpdate__Output } from '../../drover/server/ClientAllocsUpdate.js';
import type { DeploymentUpdateRequest as _drover_server_DeploymentUpdateRequest, DeploymentUpdateRequest__Output as _drover_server_DeploymentUpdateRequest__Output } from '../../drover/server/DeploymentUpdateRequest.js';
import type { Empty as _drover_server_Empty, Empty__Output as _drover_server_Empty__Output } from '../../drover/server/Empty.js';
import type { EvalAckRequest as _drover_server_EvalAckRequest, EvalAckRequest__Output as _drover_server_EvalAckRequest__Output } from '../../drover/server/EvalAckRequest.js';
import type { EvalDequeueRequest as _drover_server_EvalDequeueRequest, EvalDequeueRequest__Output as _drover_server_EvalDequeueRequest__Output } from '../../drover/server/EvalDequeueRequest.js';
import type { EvalDequeueResponse as _drover_server_EvalDequeueResponse, EvalDequeueResponse__Output as _drover_server_EvalDequeueResponse__Output } from '../../drover/server/EvalDequeueResponse.js';
import type { EvalUpsertRequest as _drover_server_EvalUpsertRequest, EvalUpsertRequest__Output as _drover_server_EvalUpsertRequest__Output } from '../../drover/server/EvalUpsertRequest.js';
import type { EvalWriteResponse as _drover_server_EvalWriteResponse, EvalWriteResponse__Output as _drover_server_EvalWriteResponse__Output } from '../../drover/server/EvalWriteResponse.js';
import type { GcCommitRequest as _drover_server_GcCommitRequest, GcCommitRequest__Output as _drover_server_GcCommitRequest__Output } from '../../drover/server/GcCommitRequest.js';
import type { GetRequest as _drover_server_GetRequest, GetRequest__Output as _drover_server_GetRequest__Output } from '../../drover/server/GetRequest.js';
import type { GetResponse as _drover_server_GetResponse, GetResponse__Output as _drover_server_GetResponse__Output } from '../../drover/server/GetResponse.js';
import type { JobDeregisterRequest as _drover_server_JobDeregisterRequest, JobDeregisterRequest__Output as _drover_server_JobDeregisterRequest__Output } from '../../drover/server/JobDeregisterRequest.js';
import type { JobDispatchRequest as _drover_server_JobDispatchRequest, JobDispatchRequest__Output as _drover_server_JobDispatchRequest__Output } from '../../drover/server/JobDispatchRequest.js';
import type { JobDispatchResponse as _drover_server_JobDispatchResponse, JobDispatchResponse__Output as _drover_server_JobDispatchResponse__Output } from '../../drover/server/JobDispatchResponse.js';
import type { JobEvaluateRequest as _drover_server_JobEvaluateRequest, JobEvaluateRequest__Output as _drover_server_JobEvaluateRequest__Output } from '../../drover/server/JobEvaluateRequest.js';
import type { JobPlanRequest as _drover_server_JobPlanRequest, JobPlanRequest__Output as _drover_server_JobPlanRequest__Output } from '../../drover/server/JobPlanRequest.js';
import type { JobPlanResponse as _drover_server_JobPlanResponse, JobPlanResponse__Output as _drover_server_JobPlanResponse__Output } from '../../drover/server/JobPlanResponse.js';
import type { JobRegisterRequest as _drover_server_JobRegisterRequest, JobRegisterRequest__Output as _drover_server_JobRegisterRequest__Output } from '../../drover/server/JobRegisterRequest.js';
import type { JobRegisterResponse as _drover_server_JobRegisterResponse, JobRegisterResponse__Output as _drover_server_JobRegisterResponse__Output } from '../../drover/server/JobRegisterResponse.js';
import type { JobRelatedRequest as _drover_server_JobRelatedRequest, JobRelatedRequest__Output as _drover_server_JobRelatedRequest__Output } from '../../drover/server/JobRelatedRequest.js';
import type { JobRevertRequest as _drover_server_JobRevertRequest, JobRevertRequest__Output as _drover_server_JobRevertRequest__Output } from '../../drover/server/JobRevertRequest.js';
import type { JobScaleRequest as _drover_server_JobScaleRequest, JobScaleRequest__Output as _drover_server_JobScaleRequest__Output } from '../../drover/server/JobScaleRequest.js';
import type { JobStabilityRequest as _drover_server_JobStabilityRequest, JobStabilityRequest__Output as _drover_server_JobStabilityRequest__Output } from '../../drover/server/JobStabilityRequest.js';
import type { JobStabilityResponse as _drover_server_JobStabilityResponse, JobStabilityResponse__Output as _drover_server_JobStabilityResponse__Output } from '../../drover/server/JobStabilityResponse.js';
import type { ListRequest as _drover_server_ListRequest, ListRequest__Output as _drover_server_ListRequest__Output } from '../../drover/server/ListRequest.js';
import type { ListResponse as _drover_server_ListResponse, ListResponse__Output as _drover_server_ListResponse__Output } from '../../drover/server/ListResponse.js';
import type { NamespaceDeleteRequest as _drover_server_NamespaceDeleteRequest, NamespaceDeleteRequest__Output as _drover_server_NamespaceDeleteRequest__Output } from '../../drover/server/NamespaceDeleteRequest.js';
import type { NamespaceUpsertRequest as _drover_server_NamespaceUpsertRequest, NamespaceUpsertRequest__Output as _drover_server_NamespaceUpsertRequest__Output } from '../../drover/server/NamespaceUpsertRequest.js';
import type { NodeDeregisterRequest as _drover_server_NodeDeregisterRequest, NodeDeregisterRequest__Output as _drover_server_NodeDeregisterRequest__Output } from '../../drover/server/NodeDeregisterRequest.js';
import type { NodeGetClientAllocsRequest as _drover_server_NodeGetClientAllocsRequest, NodeGetClientAllocsRequest__Output as _drover_server_NodeGetClientAllocsRequest__Output } from '../../drover/server/NodeGetClientAllocsRequest.js';
import type { NodeHeartbeatRequest as _drover_server_NodeHeartbeatRequest, NodeHeartbeatRequest__Output as _drover_server_NodeHeartbeatRequest__Output } from '../../drover/server/NodeHeartbeatRequest.js';
import type { NodeRegisterRequest as _drover_server_NodeRegisterRequest, NodeRegisterRequest__Output as _drover_server_NodeRegisterRequest__Output } from '../../drover/server/NodeRegisterRequest.js';
import type { NodeUpdateDrainRequest as _drover_server_NodeUpdateDrainRequest, NodeUpdateDrainRequest__Output as _drover_server_NodeUpdateDrainRequest__Output } from '../../drover/server/NodeUpdateDrainRequest.js';
import type { NodeUpdateEligibilityRequest as _drover_server_NodeUpdateEligibilityRequest, NodeUpdateEligibilityRequest__Output as _drover_server_NodeUpdateEligibilityRequest__Output } from '../../drover/server/NodeUpdateEligibilityRequest.js';
import type { NodeUpdateResponse as _drover_server_NodeUpdateResponse, NodeUpdateResponse__Output as _drover_server_NodeUpdateResponse__Output } from '../../drover/server/NodeUpdateResponse.js';
import type { NodeUpdateStatusRequest as _drover_server_NodeUpdateStatusRequest, NodeUpdateStatusRequest__Output as _drover_server_NodeUpdateStatusRequest__Output } from '../../drover/server/NodeUpdateStatusRequest.js';
import type { PlanSubmitRequest as _drover_server_PlanSubmitRequest, PlanSubmitRequest__Output as _drover_server_PlanSubmitRequest__Output } from '../../drover/server/PlanSubmitRequest.js';
import type { PlanSubmitResponse as _drover_server_PlanSubmitResponse, PlanSubmitResponse__Output as _drover_server_PlanSubmitResponse__Output } from '../../drover/server/PlanSubmitResponse.js';
import type { SchedulerSetConfigRequest as _drover_server_SchedulerSetConfigRequest, SchedulerSetConfigRequest__Output as _drover_server_SchedulerSetConfigRequest__Output } from '../../drover/server/SchedulerSetConfigRequest.js';
import type { SchedulerSetConfigResponse as _drover_server_SchedulerSetConfigResponse, SchedulerSetConfigResponse__Output as _drover_server_SchedulerSetConfigResponse__Output } from '../../drover/server/SchedulerSetConfigResponse.js';
import type { StatusLeaderResponse as _drover_server_StatusLeaderResponse, StatusLeaderResponse__Output as _drover_server_StatusLeaderResponse__Output } from '../../drover/server/StatusLeaderResponse.js';
import type { StatusPeersResponse as _drover_server_StatusPeersResponse, StatusPeersResponse__Output as _drover_server_StatusPeersResponse__Output } from '../../drover/server/StatusPeersResponse.js';
import type { VarDeleteRequest as _drover_server_VarDeleteRequest, VarDeleteRequest__Output as _drover_server_VarDeleteRequest__Output } from '../../drover/server/VarDeleteRequest.js';
import type { VarGetRequest as _drover_server_VarGetRequest, VarGetRequest__Output as _drover_server_VarGetRequest__Output } from '../../drover/server/VarGetRequest.js';
import type { VarPutRequest as _drover_server_VarPutRequest, VarPutRequest__Output as _drover_server_VarPutRequest__Output } from '../../drover/server/VarPutRequest.js';
import type { VarResponse as _drover_server_VarResponse, VarResponse__Output as _drover_server_VarResponse__Output } from '../../drover/server/VarResponse.js';
import type { WriteResponse as _drover_server_WriteResponse, WriteResponse__Output as _drover_server_WriteResponse__Output } from '../../drover/server/WriteResponse.js';

export interface ServerClient extends grpc.Client {
  AclRead(argument: _drover_server_AclRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_AclResponse__Output>): grpc.ClientUnaryCall;
  AclRead(argument: _drover_server_AclRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_AclResponse__Output>): grpc.ClientUnaryCall;
  AclRead(argument: _drover_server_AclRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_AclResponse__Output>): grpc.ClientUnaryCall;
  AclRead(argument: _drover_server_AclRequest, callback: grpc.requestCallback<_drover_server_AclResponse__Output>): grpc.ClientUnaryCall;
  aclRead(argument: _drover_server_AclRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_AclResponse__Output>): grpc.ClientUnaryCall;
  aclRead(argument: _drover_server_AclRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_AclResponse__Output>): grpc.ClientUnaryCall;
  aclRead(argument: _drover_server_AclRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_AclResponse__Output>): grpc.ClientUnaryCall;
  aclRead(argument: _drover_server_AclRequest, callback: grpc.requestCallback<_drover_server_AclResponse__Output>): grpc.ClientUnaryCall;
  
  AclWrite(argument: _drover_server_AclRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_AclResponse__Output>): grpc.ClientUnaryCall;
  AclWrite(argument: _drover_server_AclRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_AclResponse__Output>): grpc.ClientUnaryCall;
  AclWrite(argument: _drover_server_AclRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_AclResponse__Output>): grpc.ClientUnaryCall;
  AclWrite(argument: _drover_server_AclRequest, callback: grpc.requestCallback<_drover_server_AclResponse__Output>): grpc.ClientUnaryCall;
  aclWrite(argument: _drover_server_AclRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_AclResponse__Output>): grpc.ClientUnaryCall;
  aclWrite(argument: _drover_server_AclRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_AclResponse__Output>): grpc.ClientUnaryCall;
  aclWrite(argument: _drover_server_AclRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_AclResponse__Output>): grpc.ClientUnaryCall;
  aclWrite(argument: _drover_server_AclRequest, callback: grpc.requestCallback<_drover_server_AclResponse__Output>): grpc.ClientUnaryCall;
  
  AllocClientUpdate(argument: _drover_server_AllocClientUpdateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  AllocClientUpdate(argument: _drover_server_AllocClientUpdateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  AllocClientUpdate(argument: _drover_server_AllocClientUpdateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  AllocClientUpdate(argument: _drover_server_AllocClientUpdateRequest, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  allocClientUpdate(argument: _drover_server_AllocClientUpdateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  allocClientUpdate(argument: _drover_server_AllocClientUpdateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  allocClientUpdate(argument: _drover_server_AllocClientUpdateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  allocClientUpdate(argument: _drover_server_AllocClientUpdateRequest, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  AllocGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  AllocGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  AllocGet(argument: _drover_server_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  AllocGet(argument: _drover_server_GetRequest, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  allocGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  allocGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  allocGet(argument: _drover_server_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  allocGet(argument: _drover_server_GetRequest, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  
  AllocList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  AllocList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  AllocList(argument: _drover_server_ListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  AllocList(argument: _drover_server_ListRequest, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  allocList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  allocList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  allocList(argument: _drover_server_ListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  allocList(argument: _drover_server_ListRequest, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  
  AllocStop(argument: _drover_server_AllocStopRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_EvalWriteResponse__Output>): grpc.ClientUnaryCall;
  AllocStop(argument: _drover_server_AllocStopRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_EvalWriteResponse__Output>): grpc.ClientUnaryCall;
  AllocStop(argument: _drover_server_AllocStopRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_EvalWriteResponse__Output>): grpc.ClientUnaryCall;
  AllocStop(argument: _drover_server_AllocStopRequest, callback: grpc.requestCallback<_drover_server_EvalWriteResponse__Output>): grpc.ClientUnaryCall;
  allocStop(argument: _drover_server_AllocStopRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_EvalWriteResponse__Output>): grpc.ClientUnaryCall;
  allocStop(argument: _drover_server_AllocStopRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_EvalWriteResponse__Output>): grpc.ClientUnaryCall;
  allocStop(argument: _drover_server_AllocStopRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_EvalWriteResponse__Output>): grpc.ClientUnaryCall;
  allocStop(argument: _drover_server_AllocStopRequest, callback: grpc.requestCallback<_drover_server_EvalWriteResponse__Output>): grpc.ClientUnaryCall;
  
  DeploymentGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  DeploymentGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  DeploymentGet(argument: _drover_server_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  DeploymentGet(argument: _drover_server_GetRequest, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  deploymentGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  deploymentGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  deploymentGet(argument: _drover_server_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  deploymentGet(argument: _drover_server_GetRequest, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  
  DeploymentList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  DeploymentList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  DeploymentList(argument: _drover_server_ListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  DeploymentList(argument: _drover_server_ListRequest, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  deploymentList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  deploymentList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  deploymentList(argument: _drover_server_ListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  deploymentList(argument: _drover_server_ListRequest, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  
  DeploymentUpdate(argument: _drover_server_DeploymentUpdateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_EvalWriteResponse__Output>): grpc.ClientUnaryCall;
  DeploymentUpdate(argument: _drover_server_DeploymentUpdateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_EvalWriteResponse__Output>): grpc.ClientUnaryCall;
  DeploymentUpdate(argument: _drover_server_DeploymentUpdateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_EvalWriteResponse__Output>): grpc.ClientUnaryCall;
  DeploymentUpdate(argument: _drover_server_DeploymentUpdateRequest, callback: grpc.requestCallback<_drover_server_EvalWriteResponse__Output>): grpc.ClientUnaryCall;
  deploymentUpdate(argument: _drover_server_DeploymentUpdateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_EvalWriteResponse__Output>): grpc.ClientUnaryCall;
  deploymentUpdate(argument: _drover_server_DeploymentUpdateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_EvalWriteResponse__Output>): grpc.ClientUnaryCall;
  deploymentUpdate(argument: _drover_server_DeploymentUpdateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_EvalWriteResponse__Output>): grpc.ClientUnaryCall;
  deploymentUpdate(argument: _drover_server_DeploymentUpdateRequest, callback: grpc.requestCallback<_drover_server_EvalWriteResponse__Output>): grpc.ClientUnaryCall;
  
  EvalAck(argument: _drover_server_EvalAckRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  EvalAck(argument: _drover_server_EvalAckRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  EvalAck(argument: _drover_server_EvalAckRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  EvalAck(argument: _drover_server_EvalAckRequest, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  evalAck(argument: _drover_server_EvalAckRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  evalAck(argument: _drover_server_EvalAckRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  evalAck(argument: _drover_server_EvalAckRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  evalAck(argument: _drover_server_EvalAckRequest, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  
  EvalDequeue(argument: _drover_server_EvalDequeueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_EvalDequeueResponse__Output>): grpc.ClientUnaryCall;
  EvalDequeue(argument: _drover_server_EvalDequeueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_EvalDequeueResponse__Output>): grpc.ClientUnaryCall;
  EvalDequeue(argument: _drover_server_EvalDequeueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_EvalDequeueResponse__Output>): grpc.ClientUnaryCall;
  EvalDequeue(argument: _drover_server_EvalDequeueRequest, callback: grpc.requestCallback<_drover_server_EvalDequeueResponse__Output>): grpc.ClientUnaryCall;
  evalDequeue(argument: _drover_server_EvalDequeueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_EvalDequeueResponse__Output>): grpc.ClientUnaryCall;
  evalDequeue(argument: _drover_server_EvalDequeueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_EvalDequeueResponse__Output>): grpc.ClientUnaryCall;
  evalDequeue(argument: _drover_server_EvalDequeueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_EvalDequeueResponse__Output>): grpc.ClientUnaryCall;
  evalDequeue(argument: _drover_server_EvalDequeueRequest, callback: grpc.requestCallback<_drover_server_EvalDequeueResponse__Output>): grpc.ClientUnaryCall;
  
  EvalGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  EvalGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  EvalGet(argument: _drover_server_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  EvalGet(argument: _drover_server_GetRequest, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  evalGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  evalGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  evalGet(argument: _drover_server_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  evalGet(argument: _drover_server_GetRequest, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  
  EvalList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  EvalList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  EvalList(argument: _drover_server_ListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  EvalList(argument: _drover_server_ListRequest, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  evalList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  evalList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  evalList(argument: _drover_server_ListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  evalList(argument: _drover_server_ListRequest, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  
  EvalNack(argument: _drover_server_EvalAckRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  EvalNack(argument: _drover_server_EvalAckRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  EvalNack(argument: _drover_server_EvalAckRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  EvalNack(argument: _drover_server_EvalAckRequest, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  evalNack(argument: _drover_server_EvalAckRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  evalNack(argument: _drover_server_EvalAckRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  evalNack(argument: _drover_server_EvalAckRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  evalNack(argument: _drover_server_EvalAckRequest, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  
  EvalUpsert(argument: _drover_server_EvalUpsertRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  EvalUpsert(argument: _drover_server_EvalUpsertRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  EvalUpsert(argument: _drover_server_EvalUpsertRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  EvalUpsert(argument: _drover_server_EvalUpsertRequest, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  evalUpsert(argument: _drover_server_EvalUpsertRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  evalUpsert(argument: _drover_server_EvalUpsertRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  evalUpsert(argument: _drover_server_EvalUpsertRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  evalUpsert(argument: _drover_server_EvalUpsertRequest, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  GcCommit(argument: _drover_server_GcCommitRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  GcCommit(argument: _drover_server_GcCommitRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  GcCommit(argument: _drover_server_GcCommitRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  GcCommit(argument: _drover_server_GcCommitRequest, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  gcCommit(argument: _drover_server_GcCommitRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  gcCommit(argument: _drover_server_GcCommitRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  gcCommit(argument: _drover_server_GcCommitRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  gcCommit(argument: _drover_server_GcCommitRequest, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  JobDeregister(argument: _drover_server_JobDeregisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  JobDeregister(argument: _drover_server_JobDeregisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  JobDeregister(argument: _drover_server_JobDeregisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  JobDeregister(argument: _drover_server_JobDeregisterRequest, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobDeregister(argument: _drover_server_JobDeregisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobDeregister(argument: _drover_server_JobDeregisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobDeregister(argument: _drover_server_JobDeregisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobDeregister(argument: _drover_server_JobDeregisterRequest, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  
  JobDispatch(argument: _drover_server_JobDispatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobDispatchResponse__Output>): grpc.ClientUnaryCall;
  JobDispatch(argument: _drover_server_JobDispatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_JobDispatchResponse__Output>): grpc.ClientUnaryCall;
  JobDispatch(argument: _drover_server_JobDispatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobDispatchResponse__Output>): grpc.ClientUnaryCall;
  JobDispatch(argument: _drover_server_JobDispatchRequest, callback: grpc.requestCallback<_drover_server_JobDispatchResponse__Output>): grpc.ClientUnaryCall;
  jobDispatch(argument: _drover_server_JobDispatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobDispatchResponse__Output>): grpc.ClientUnaryCall;
  jobDispatch(argument: _drover_server_JobDispatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_JobDispatchResponse__Output>): grpc.ClientUnaryCall;
  jobDispatch(argument: _drover_server_JobDispatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobDispatchResponse__Output>): grpc.ClientUnaryCall;
  jobDispatch(argument: _drover_server_JobDispatchRequest, callback: grpc.requestCallback<_drover_server_JobDispatchResponse__Output>): grpc.ClientUnaryCall;
  
  JobEvaluate(argument: _drover_server_JobEvaluateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  JobEvaluate(argument: _drover_server_JobEvaluateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  JobEvaluate(argument: _drover_server_JobEvaluateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  JobEvaluate(argument: _drover_server_JobEvaluateRequest, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobEvaluate(argument: _drover_server_JobEvaluateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobEvaluate(argument: _drover_server_JobEvaluateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobEvaluate(argument: _drover_server_JobEvaluateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobEvaluate(argument: _drover_server_JobEvaluateRequest, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  
  JobGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  JobGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  JobGet(argument: _drover_server_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  JobGet(argument: _drover_server_GetRequest, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  jobGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  jobGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  jobGet(argument: _drover_server_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  jobGet(argument: _drover_server_GetRequest, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  
  JobList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  JobList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  JobList(argument: _drover_server_ListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  JobList(argument: _drover_server_ListRequest, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  jobList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  jobList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  jobList(argument: _drover_server_ListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  jobList(argument: _drover_server_ListRequest, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  
  JobPeriodicForce(argument: _drover_server_JobEvaluateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  JobPeriodicForce(argument: _drover_server_JobEvaluateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  JobPeriodicForce(argument: _drover_server_JobEvaluateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  JobPeriodicForce(argument: _drover_server_JobEvaluateRequest, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobPeriodicForce(argument: _drover_server_JobEvaluateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobPeriodicForce(argument: _drover_server_JobEvaluateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobPeriodicForce(argument: _drover_server_JobEvaluateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobPeriodicForce(argument: _drover_server_JobEvaluateRequest, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  
  JobPlan(argument: _drover_server_JobPlanRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobPlanResponse__Output>): grpc.ClientUnaryCall;
  JobPlan(argument: _drover_server_JobPlanRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_JobPlanResponse__Output>): grpc.ClientUnaryCall;
  JobPlan(argument: _drover_server_JobPlanRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobPlanResponse__Output>): grpc.ClientUnaryCall;
  JobPlan(argument: _drover_server_JobPlanRequest, callback: grpc.requestCallback<_drover_server_JobPlanResponse__Output>): grpc.ClientUnaryCall;
  jobPlan(argument: _drover_server_JobPlanRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobPlanResponse__Output>): grpc.ClientUnaryCall;
  jobPlan(argument: _drover_server_JobPlanRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_JobPlanResponse__Output>): grpc.ClientUnaryCall;
  jobPlan(argument: _drover_server_JobPlanRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobPlanResponse__Output>): grpc.ClientUnaryCall;
  jobPlan(argument: _drover_server_JobPlanRequest, callback: grpc.requestCallback<_drover_server_JobPlanResponse__Output>): grpc.ClientUnaryCall;
  
  JobRegister(argument: _drover_server_JobRegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  JobRegister(argument: _drover_server_JobRegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  JobRegister(argument: _drover_server_JobRegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  JobRegister(argument: _drover_server_JobRegisterRequest, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobRegister(argument: _drover_server_JobRegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobRegister(argument: _drover_server_JobRegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobRegister(argument: _drover_server_JobRegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobRegister(argument: _drover_server_JobRegisterRequest, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  
  JobRelated(argument: _drover_server_JobRelatedRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  JobRelated(argument: _drover_server_JobRelatedRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  JobRelated(argument: _drover_server_JobRelatedRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  JobRelated(argument: _drover_server_JobRelatedRequest, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  jobRelated(argument: _drover_server_JobRelatedRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  jobRelated(argument: _drover_server_JobRelatedRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  jobRelated(argument: _drover_server_JobRelatedRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  jobRelated(argument: _drover_server_JobRelatedRequest, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  
  JobRevert(argument: _drover_server_JobRevertRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  JobRevert(argument: _drover_server_JobRevertRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  JobRevert(argument: _drover_server_JobRevertRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  JobRevert(argument: _drover_server_JobRevertRequest, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobRevert(argument: _drover_server_JobRevertRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobRevert(argument: _drover_server_JobRevertRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobRevert(argument: _drover_server_JobRevertRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobRevert(argument: _drover_server_JobRevertRequest, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  
  JobScale(argument: _drover_server_JobScaleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  JobScale(argument: _drover_server_JobScaleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  JobScale(argument: _drover_server_JobScaleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  JobScale(argument: _drover_server_JobScaleRequest, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobScale(argument: _drover_server_JobScaleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobScale(argument: _drover_server_JobScaleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobScale(argument: _drover_server_JobScaleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  jobScale(argument: _drover_server_JobScaleRequest, callback: grpc.requestCallback<_drover_server_JobRegisterResponse__Output>): grpc.ClientUnaryCall;
  
  JobStability(argument: _drover_server_JobStabilityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobStabilityResponse__Output>): grpc.ClientUnaryCall;
  JobStability(argument: _drover_server_JobStabilityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_JobStabilityResponse__Output>): grpc.ClientUnaryCall;
  JobStability(argument: _drover_server_JobStabilityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobStabilityResponse__Output>): grpc.ClientUnaryCall;
  JobStability(argument: _drover_server_JobStabilityRequest, callback: grpc.requestCallback<_drover_server_JobStabilityResponse__Output>): grpc.ClientUnaryCall;
  jobStability(argument: _drover_server_JobStabilityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobStabilityResponse__Output>): grpc.ClientUnaryCall;
  jobStability(argument: _drover_server_JobStabilityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_JobStabilityResponse__Output>): grpc.ClientUnaryCall;
  jobStability(argument: _drover_server_JobStabilityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_JobStabilityResponse__Output>): grpc.ClientUnaryCall;
  jobStability(argument: _drover_server_JobStabilityRequest, callback: grpc.requestCallback<_drover_server_JobStabilityResponse__Output>): grpc.ClientUnaryCall;
  
  NamespaceDelete(argument: _drover_server_NamespaceDeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  NamespaceDelete(argument: _drover_server_NamespaceDeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  NamespaceDelete(argument: _drover_server_NamespaceDeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  NamespaceDelete(argument: _drover_server_NamespaceDeleteRequest, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  namespaceDelete(argument: _drover_server_NamespaceDeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  namespaceDelete(argument: _drover_server_NamespaceDeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  namespaceDelete(argument: _drover_server_NamespaceDeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  namespaceDelete(argument: _drover_server_NamespaceDeleteRequest, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  NamespaceGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  NamespaceGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  NamespaceGet(argument: _drover_server_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  NamespaceGet(argument: _drover_server_GetRequest, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  namespaceGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  namespaceGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  namespaceGet(argument: _drover_server_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  namespaceGet(argument: _drover_server_GetRequest, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  
  NamespaceList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  NamespaceList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  NamespaceList(argument: _drover_server_ListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  NamespaceList(argument: _drover_server_ListRequest, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  namespaceList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  namespaceList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  namespaceList(argument: _drover_server_ListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  namespaceList(argument: _drover_server_ListRequest, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  
  NamespaceUpsert(argument: _drover_server_NamespaceUpsertRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  NamespaceUpsert(argument: _drover_server_NamespaceUpsertRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  NamespaceUpsert(argument: _drover_server_NamespaceUpsertRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  NamespaceUpsert(argument: _drover_server_NamespaceUpsertRequest, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  namespaceUpsert(argument: _drover_server_NamespaceUpsertRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  namespaceUpsert(argument: _drover_server_NamespaceUpsertRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  namespaceUpsert(argument: _drover_server_NamespaceUpsertRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  namespaceUpsert(argument: _drover_server_NamespaceUpsertRequest, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  NodeDeregister(argument: _drover_server_NodeDeregisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  NodeDeregister(argument: _drover_server_NodeDeregisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  NodeDeregister(argument: _drover_server_NodeDeregisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  NodeDeregister(argument: _drover_server_NodeDeregisterRequest, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  nodeDeregister(argument: _drover_server_NodeDeregisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  nodeDeregister(argument: _drover_server_NodeDeregisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  nodeDeregister(argument: _drover_server_NodeDeregisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  nodeDeregister(argument: _drover_server_NodeDeregisterRequest, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  NodeGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  NodeGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  NodeGet(argument: _drover_server_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  NodeGet(argument: _drover_server_GetRequest, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  nodeGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  nodeGet(argument: _drover_server_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  nodeGet(argument: _drover_server_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  nodeGet(argument: _drover_server_GetRequest, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  
  NodeGetClientAllocs(argument: _drover_server_NodeGetClientAllocsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_drover_server_ClientAllocsUpdate__Output>;
  NodeGetClientAllocs(argument: _drover_server_NodeGetClientAllocsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_drover_server_ClientAllocsUpdate__Output>;
  nodeGetClientAllocs(argument: _drover_server_NodeGetClientAllocsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_drover_server_ClientAllocsUpdate__Output>;
  nodeGetClientAllocs(argument: _drover_server_NodeGetClientAllocsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_drover_server_ClientAllocsUpdate__Output>;
  
  NodeHeartbeat(argument: _drover_server_NodeHeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  NodeHeartbeat(argument: _drover_server_NodeHeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  NodeHeartbeat(argument: _drover_server_NodeHeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  NodeHeartbeat(argument: _drover_server_NodeHeartbeatRequest, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  nodeHeartbeat(argument: _drover_server_NodeHeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  nodeHeartbeat(argument: _drover_server_NodeHeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  nodeHeartbeat(argument: _drover_server_NodeHeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  nodeHeartbeat(argument: _drover_server_NodeHeartbeatRequest, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  
  NodeList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  NodeList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  NodeList(argument: _drover_server_ListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  NodeList(argument: _drover_server_ListRequest, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  nodeList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  nodeList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  nodeList(argument: _drover_server_ListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  nodeList(argument: _drover_server_ListRequest, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  
  NodeRegister(argument: _drover_server_NodeRegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  NodeRegister(argument: _drover_server_NodeRegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  NodeRegister(argument: _drover_server_NodeRegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  NodeRegister(argument: _drover_server_NodeRegisterRequest, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  nodeRegister(argument: _drover_server_NodeRegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  nodeRegister(argument: _drover_server_NodeRegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  nodeRegister(argument: _drover_server_NodeRegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  nodeRegister(argument: _drover_server_NodeRegisterRequest, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  
  NodeUpdateDrain(argument: _drover_server_NodeUpdateDrainRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  NodeUpdateDrain(argument: _drover_server_NodeUpdateDrainRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  NodeUpdateDrain(argument: _drover_server_NodeUpdateDrainRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  NodeUpdateDrain(argument: _drover_server_NodeUpdateDrainRequest, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  nodeUpdateDrain(argument: _drover_server_NodeUpdateDrainRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  nodeUpdateDrain(argument: _drover_server_NodeUpdateDrainRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  nodeUpdateDrain(argument: _drover_server_NodeUpdateDrainRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  nodeUpdateDrain(argument: _drover_server_NodeUpdateDrainRequest, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  NodeUpdateEligibility(argument: _drover_server_NodeUpdateEligibilityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  NodeUpdateEligibility(argument: _drover_server_NodeUpdateEligibilityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  NodeUpdateEligibility(argument: _drover_server_NodeUpdateEligibilityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  NodeUpdateEligibility(argument: _drover_server_NodeUpdateEligibilityRequest, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  nodeUpdateEligibility(argument: _drover_server_NodeUpdateEligibilityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  nodeUpdateEligibility(argument: _drover_server_NodeUpdateEligibilityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  nodeUpdateEligibility(argument: _drover_server_NodeUpdateEligibilityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  nodeUpdateEligibility(argument: _drover_server_NodeUpdateEligibilityRequest, callback: grpc.requestCallback<_drover_server_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  NodeUpdateStatus(argument: _drover_server_NodeUpdateStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  NodeUpdateStatus(argument: _drover_server_NodeUpdateStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  NodeUpdateStatus(argument: _drover_server_NodeUpdateStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  NodeUpdateStatus(argument: _drover_server_NodeUpdateStatusRequest, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  nodeUpdateStatus(argument: _drover_server_NodeUpdateStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  nodeUpdateStatus(argument: _drover_server_NodeUpdateStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  nodeUpdateStatus(argument: _drover_server_NodeUpdateStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  nodeUpdateStatus(argument: _drover_server_NodeUpdateStatusRequest, callback: grpc.requestCallback<_drover_server_NodeUpdateResponse__Output>): grpc.ClientUnaryCall;
  
  PlanSubmit(argument: _drover_server_PlanSubmitRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_PlanSubmitResponse__Output>): grpc.ClientUnaryCall;
  PlanSubmit(argument: _drover_server_PlanSubmitRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_PlanSubmitResponse__Output>): grpc.ClientUnaryCall;
  PlanSubmit(argument: _drover_server_PlanSubmitRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_PlanSubmitResponse__Output>): grpc.ClientUnaryCall;
  PlanSubmit(argument: _drover_server_PlanSubmitRequest, callback: grpc.requestCallback<_drover_server_PlanSubmitResponse__Output>): grpc.ClientUnaryCall;
  planSubmit(argument: _drover_server_PlanSubmitRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_PlanSubmitResponse__Output>): grpc.ClientUnaryCall;
  planSubmit(argument: _drover_server_PlanSubmitRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_PlanSubmitResponse__Output>): grpc.ClientUnaryCall;
  planSubmit(argument: _drover_server_PlanSubmitRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_PlanSubmitResponse__Output>): grpc.ClientUnaryCall;
  planSubmit(argument: _drover_server_PlanSubmitRequest, callback: grpc.requestCallback<_drover_server_PlanSubmitResponse__Output>): grpc.ClientUnaryCall;
  
  SchedulerGetConfig(argument: _drover_server_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  SchedulerGetConfig(argument: _drover_server_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  SchedulerGetConfig(argument: _drover_server_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  SchedulerGetConfig(argument: _drover_server_GetRequest, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  schedulerGetConfig(argument: _drover_server_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  schedulerGetConfig(argument: _drover_server_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  schedulerGetConfig(argument: _drover_server_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  schedulerGetConfig(argument: _drover_server_GetRequest, callback: grpc.requestCallback<_drover_server_GetResponse__Output>): grpc.ClientUnaryCall;
  
  SchedulerSetConfig(argument: _drover_server_SchedulerSetConfigRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_SchedulerSetConfigResponse__Output>): grpc.ClientUnaryCall;
  SchedulerSetConfig(argument: _drover_server_SchedulerSetConfigRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_SchedulerSetConfigResponse__Output>): grpc.ClientUnaryCall;
  SchedulerSetConfig(argument: _drover_server_SchedulerSetConfigRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_SchedulerSetConfigResponse__Output>): grpc.ClientUnaryCall;
  SchedulerSetConfig(argument: _drover_server_SchedulerSetConfigRequest, callback: grpc.requestCallback<_drover_server_SchedulerSetConfigResponse__Output>): grpc.ClientUnaryCall;
  schedulerSetConfig(argument: _drover_server_SchedulerSetConfigRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_SchedulerSetConfigResponse__Output>): grpc.ClientUnaryCall;
  schedulerSetConfig(argument: _drover_server_SchedulerSetConfigRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_SchedulerSetConfigResponse__Output>): grpc.ClientUnaryCall;
  schedulerSetConfig(argument: _drover_server_SchedulerSetConfigRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_SchedulerSetConfigResponse__Output>): grpc.ClientUnaryCall;
  schedulerSetConfig(argument: _drover_server_SchedulerSetConfigRequest, callback: grpc.requestCallback<_drover_server_SchedulerSetConfigResponse__Output>): grpc.ClientUnaryCall;
  
  StatusLeader(argument: _drover_server_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_StatusLeaderResponse__Output>): grpc.ClientUnaryCall;
  StatusLeader(argument: _drover_server_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_StatusLeaderResponse__Output>): grpc.ClientUnaryCall;
  StatusLeader(argument: _drover_server_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_StatusLeaderResponse__Output>): grpc.ClientUnaryCall;
  StatusLeader(argument: _drover_server_Empty, callback: grpc.requestCallback<_drover_server_StatusLeaderResponse__Output>): grpc.ClientUnaryCall;
  statusLeader(argument: _drover_server_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_StatusLeaderResponse__Output>): grpc.ClientUnaryCall;
  statusLeader(argument: _drover_server_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_StatusLeaderResponse__Output>): grpc.ClientUnaryCall;
  statusLeader(argument: _drover_server_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_StatusLeaderResponse__Output>): grpc.ClientUnaryCall;
  statusLeader(argument: _drover_server_Empty, callback: grpc.requestCallback<_drover_server_StatusLeaderResponse__Output>): grpc.ClientUnaryCall;
  
  StatusPeers(argument: _drover_server_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_StatusPeersResponse__Output>): grpc.ClientUnaryCall;
  StatusPeers(argument: _drover_server_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_StatusPeersResponse__Output>): grpc.ClientUnaryCall;
  StatusPeers(argument: _drover_server_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_StatusPeersResponse__Output>): grpc.ClientUnaryCall;
  StatusPeers(argument: _drover_server_Empty, callback: grpc.requestCallback<_drover_server_StatusPeersResponse__Output>): grpc.ClientUnaryCall;
  statusPeers(argument: _drover_server_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_StatusPeersResponse__Output>): grpc.ClientUnaryCall;
  statusPeers(argument: _drover_server_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_StatusPeersResponse__Output>): grpc.ClientUnaryCall;
  statusPeers(argument: _drover_server_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_StatusPeersResponse__Output>): grpc.ClientUnaryCall;
  statusPeers(argument: _drover_server_Empty, callback: grpc.requestCallback<_drover_server_StatusPeersResponse__Output>): grpc.ClientUnaryCall;
  
  SystemGc(argument: _drover_server_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  SystemGc(argument: _drover_server_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  SystemGc(argument: _drover_server_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  SystemGc(argument: _drover_server_Empty, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  systemGc(argument: _drover_server_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  systemGc(argument: _drover_server_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  systemGc(argument: _drover_server_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  systemGc(argument: _drover_server_Empty, callback: grpc.requestCallback<_drover_server_Empty__Output>): grpc.ClientUnaryCall;
  
  VarDelete(argument: _drover_server_VarDeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  VarDelete(argument: _drover_server_VarDeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  VarDelete(argument: _drover_server_VarDeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  VarDelete(argument: _drover_server_VarDeleteRequest, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  varDelete(argument: _drover_server_VarDeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  varDelete(argument: _drover_server_VarDeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  varDelete(argument: _drover_server_VarDeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  varDelete(argument: _drover_server_VarDeleteRequest, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  
  VarGet(argument: _drover_server_VarGetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  VarGet(argument: _drover_server_VarGetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  VarGet(argument: _drover_server_VarGetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  VarGet(argument: _drover_server_VarGetRequest, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  varGet(argument: _drover_server_VarGetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  varGet(argument: _drover_server_VarGetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  varGet(argument: _drover_server_VarGetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  varGet(argument: _drover_server_VarGetRequest, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  
  VarList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  VarList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  VarList(argument: _drover_server_ListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  VarList(argument: _drover_server_ListRequest, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  varList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  varList(argument: _drover_server_ListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  varList(argument: _drover_server_ListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  varList(argument: _drover_server_ListRequest, callback: grpc.requestCallback<_drover_server_ListResponse__Output>): grpc.ClientUnaryCall;
  
  VarPut(argument: _drover_server_VarPutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  VarPut(argument: _drover_server_VarPutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  VarPut(argument: _drover_server_VarPutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  VarPut(argument: _drover_server_VarPutRequest, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  varPut(argument: _drover_server_VarPutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  varPut(argument: _drover_server_VarPutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  varPut(argument: _drover_server_VarPutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  varPut(argument: _drover_server_VarPutRequest, callback: grpc.requestCallback<_drover_server_VarResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface ServerHandlers extends grpc.UntypedServiceImplementation {
  AclRead: grpc.handleUnaryCall<_drover_server_AclRequest__Output, _drover_server_AclResponse>;
  
  AclWrite: grpc.handleUnaryCall<_drover_server_AclRequest__Output, _drover_server_AclResponse>;
  
  AllocClientUpdate: grpc.handleUnaryCall<_drover_server_AllocClientUpdateRequest__Output, _drover_server_WriteResponse>;
  
  AllocGet: grpc.handleUnaryCall<_drover_server_GetRequest__Output, _drover_server_GetResponse>;
  
  AllocList: grpc.handleUnaryCall<_drover_server_ListRequest__Output, _drover_server_ListResponse>;
  
  AllocStop: grpc.handleUnaryCall<_drover_server_AllocStopRequest__Output, _drover_server_EvalWriteResponse>;
  
  DeploymentGet: grpc.handleUnaryCall<_drover_server_GetRequest__Output, _drover_server_GetResponse>;
  
  DeploymentList: grpc.handleUnaryCall<_drover_server_ListRequest__Output, _drover_server_ListResponse>;
  
  DeploymentUpdate: grpc.handleUnaryCall<_drover_server_DeploymentUpdateRequest__Output, _drover_server_EvalWriteResponse>;
  
  EvalAck: grpc.handleUnaryCall<_drover_server_EvalAckRequest__Output, _drover_server_Empty>;
  
  EvalDequeue: grpc.handleUnaryCall<_drover_server_EvalDequeueRequest__Output, _drover_server_EvalDequeueResponse>;
  
  EvalGet: grpc.handleUnaryCall<_drover_server_GetRequest__Output, _drover_server_GetResponse>;
  
  EvalList: grpc.handleUnaryCall<_drover_server_ListRequest__Output, _drover_server_ListResponse>;
  
  EvalNack: grpc.handleUnaryCall<_drover_server_EvalAckRequest__Output, _drover_server_Empty>;
  
  EvalUpsert: grpc.handleUnaryCall<_drover_server_EvalUpsertRequest__Output, _drover_server_WriteResponse>;
  
  GcCommit: grpc.handleUnaryCall<_drover_server_GcCommitRequest__Output, _drover_server_WriteResponse>;
  
  JobDeregister: grpc.handleUnaryCall<_drover_server_JobDeregisterRequest__Output, _drover_server_JobRegisterResponse>;
  
  JobDispatch: grpc.handleUnaryCall<_drover_server_JobDispatchRequest__Output, _drover_server_JobDispatchResponse>;
  
  JobEvaluate: grpc.handleUnaryCall<_drover_server_JobEvaluateRequest__Output, _drover_server_JobRegisterResponse>;
  
  JobGet: grpc.handleUnaryCall<_drover_server_GetRequest__Output, _drover_server_GetResponse>;
  
  JobList: grpc.handleUnaryCall<_drover_server_ListRequest__Output, _drover_server_ListResponse>;
  
  JobPeriodicForce: grpc.handleUnaryCall<_drover_server_JobEvaluateRequest__Output, _drover_server_JobRegisterResponse>;
  
  JobPlan: grpc.handleUnaryCall<_drover_server_JobPlanRequest__Output, _drover_server_JobPlanResponse>;
  
  JobRegister: grpc.handleUnaryCall<_drover_server_JobRegisterRequest__Output, _drover_server_JobRegisterResponse>;
  
  JobRelated: grpc.handleUnaryCall<_drover_server_JobRelatedRequest__Output, _drover_server_GetResponse>;
  
  JobRevert: grpc.handleUnaryCall<_drover_server_JobRevertRequest__Output, _drover_server_JobRegisterResponse>;
  
  JobScale: grpc.handleUnaryCall<_drover_server_JobScaleRequest__Output, _drover_server_JobRegisterResponse>;
  
  JobStability: grpc.handleUnaryCall<_drover_server_JobStabilityRequest__Output, _drover_server_JobStabilityResponse>;
  
  NamespaceDelete: grpc.handleUnaryCall<_drover_server_NamespaceDeleteRequest__Output, _drover_server_WriteResponse>;
  
  NamespaceGet: grpc.handleUnaryCall<_drover_server_GetRequest__Output, _drover_server_GetResponse>;
  
  NamespaceList: grpc.handleUnaryCall<_drover_server_ListRequest__Output, _drover_server_ListResponse>;
  
  NamespaceUpsert: grpc.handleUnaryCall<_drover_server_NamespaceUpsertRequest__Output, _drover_server_WriteResponse>;
  
  NodeDeregister: grpc.handleUnaryCall<_drover_server_NodeDeregisterRequest__Output, _drover_server_WriteResponse>;
  
  NodeGet: grpc.handleUnaryCall<_drover_server_GetRequest__Output, _drover_server_GetResponse>;
  
  NodeGetClientAllocs: grpc.handleServerStreamingCall<_drover_server_NodeGetClientAllocsRequest__Output, _drover_server_ClientAllocsUpdate>;
  
  NodeHeartbeat: grpc.handleUnaryCall<_drover_server_NodeHeartbeatRequest__Output, _drover_server_NodeUpdateResponse>;
  
  NodeList: grpc.handleUnaryCall<_drover_server_ListRequest__Output, _drover_server_ListResponse>;
  
  NodeRegister: grpc.handleUnaryCall<_drover_server_NodeRegisterRequest__Output, _drover_server_NodeUpdateResponse>;
  
  NodeUpdateDrain: grpc.handleUnaryCall<_drover_server_NodeUpdateDrainRequest__Output, _drover_server_WriteResponse>;
  
  NodeUpdateEligibility: grpc.handleUnaryCall<_drover_server_NodeUpdateEligibilityRequest__Output, _drover_server_WriteResponse>;
  
  NodeUpdateStatus: grpc.handleUnaryCall<_drover_server_NodeUpdateStatusRequest__Output, _drover_server_NodeUpdateResponse>;
  
  PlanSubmit: grpc.handleUnaryCall<_drover_server_PlanSubmitRequest__Output, _drover_server_PlanSubmitResponse>;
  
  SchedulerGetConfig: grpc.handleUnaryCall<_drover_server_GetRequest__Output, _drover_server_GetResponse>;
  
  SchedulerSetConfig: grpc.handleUnaryCall<_drover_server_SchedulerSetConfigRequest__Output, _drover_server_SchedulerSetConfigResponse>;
  
  StatusLeader: grpc.handleUnaryCall<_drover_server_Empty__Output, _drover_server_StatusLeaderResponse>;
  
  StatusPeers: grpc.handleUnaryCall<_drover_server_Empty__Output, _drover_server_StatusPeersResponse>;
  
  SystemGc: grpc.handleUnaryCall<_drover_server_Empty__Output, _drover_server_Empty>;
  
  VarDelete: grpc.handleUnaryCall<_drover_server_VarDeleteRequest__Output, _drover_server_VarResponse>;
  
  VarGet: grpc.handleUnaryCall<_drover_server_VarGetRequest__Output, _drover_server_VarResponse>;
  
  VarList: grpc.handleUnaryCall<_drover_server_ListRequest__Output, _drover_server_ListResponse>;
  
  VarPut: grpc.handleUnaryCall<_drover_server_VarPutRequest__Output, _drover_server_VarResponse>;
  
}

export interface ServerDefinition extends grpc.ServiceDefinition {
  AclRead: MethodDefinition<_drover_server_AclRequest, _drover_server_AclResponse, _drover_server_AclRequest__Output, _drover_server_AclResponse__Output>
  AclWrite: MethodDefinition<_drover_server_AclRequest, _drover_server_AclResponse, _drover_server_AclRequest__Output, _drover_server_AclResponse__Output>
  AllocClientUpdate: MethodDefinition<_drover_server_AllocClientUpdateRequest, _drover_server_WriteResponse, _drover_server_AllocClientUpdateRequest__Output, _drover_server_WriteResponse__Output>
  AllocGet: MethodDefinition<_drover_server_GetRequest, _drover_server_GetResponse, _drover_server_GetRequest__Output, _drover_server_GetResponse__Output>
  AllocList: MethodDefinition<_drover_server_ListRequest, _drover_server_ListResponse, _drover_server_ListRequest__Output, _drover_server_ListResponse__Output>
  AllocStop: MethodDefinition<_drover_server_AllocStopRequest, _drover_server_EvalWriteResponse, _drover_server_AllocStopRequest__Output, _drover_server_EvalWriteResponse__Output>
  DeploymentGet: MethodDefinition<_drover_server_GetRequest, _drover_server_GetResponse, _drover_server_GetRequest__Output, _drover_server_GetResponse__Output>
  DeploymentList: MethodDefinition<_drover_server_ListRequest, _drover_server_ListResponse, _drover_server_ListRequest__Output, _drover_server_ListResponse__Output>
  DeploymentUpdate: MethodDefinition<_drover_server_DeploymentUpdateRequest, _drover_server_EvalWriteResponse, _drover_server_DeploymentUpdateRequest__Output, _drover_server_EvalWriteResponse__Output>
  EvalAck: MethodDefinition<_drover_server_EvalAckRequest, _drover_server_Empty, _drover_server_EvalAckRequest__Output, _drover_server_Empty__Output>
  EvalDequeue: MethodDefinition<_drover_server_EvalDequeueRequest, _drover_server_EvalDequeueResponse, _drover_server_EvalDequeueRequest__Output, _drover_server_EvalDequeueResponse__Output>
  EvalGet: MethodDefinition<_drover_server_GetRequest, _drover_server_GetResponse, _drover_server_GetRequest__Output, _drover_server_GetResponse__Output>
  EvalList: MethodDefinition<_drover_server_ListRequest, _drover_server_ListResponse, _drover_server_ListRequest__Output, _drover_server_ListResponse__Output>
  EvalNack: MethodDefinition<_drover_server_EvalAckRequest, _drover_server_Empty, _drover_server_EvalAckRequest__Output, _drover_server_Empty__Output>
  EvalUpsert: MethodDefinition<_drover_server_EvalUpsertRequest, _drover_server_WriteResponse, _drover_server_EvalUpsertRequest__Output, _drover_server_WriteResponse__Output>
  GcCommit: MethodDefinition<_drover_server_GcCommitRequest, _drover_server_WriteResponse, _drover_server_GcCommitRequest__Output, _drover_server_WriteResponse__Output>
  JobDeregister: MethodDefinition<_drover_server_JobDeregisterRequest, _drover_server_JobRegisterResponse, _drover_server_JobDeregisterRequest__Output, _drover_server_JobRegisterResponse__Output>
  JobDispatch: MethodDefinition<_drover_server_JobDispatchRequest, _drover_server_JobDispatchResponse, _drover_server_JobDispatchRequest__Output, _drover_server_JobDispatchResponse__Output>
  JobEvaluate: MethodDefinition<_drover_server_JobEvaluateRequest, _drover_server_JobRegisterResponse, _drover_server_JobEvaluateRequest__Output, _drover_server_JobRegisterResponse__Output>
  JobGet: MethodDefinition<_drover_server_GetRequest, _drover_server_GetResponse, _drover_server_GetRequest__Output, _drover_server_GetResponse__Output>
  JobList: MethodDefinition<_drover_server_ListRequest, _drover_server_ListResponse, _drover_server_ListRequest__Output, _drover_server_ListResponse__Output>
  JobPeriodicForce: MethodDefinition<_drover_server_JobEvaluateRequest, _drover_server_JobRegisterResponse, _drover_server_JobEvaluateRequest__Output, _drover_server_JobRegisterResponse__Output>
  JobPlan: MethodDefinition<_drover_server_JobPlanRequest, _drover_server_JobPlanResponse, _drover_server_JobPlanRequest__Output, _drover_server_JobPlanResponse__Output>
  JobRegister: MethodDefinition<_drover_server_JobRegisterRequest, _drover_server_JobRegisterResponse, _drover_server_JobRegisterRequest__Output, _drover_server_JobRegisterResponse__Output>
  JobRelated: MethodDefinition<_drover_server_JobRelatedRequest, _drover_server_GetResponse, _drover_server_JobRelatedRequest__Output, _drover_server_GetResponse__Output>
  JobRevert: MethodDefinition<_drover_server_JobRevertRequest, _drover_server_JobRegisterResponse, _drover_server_JobRevertRequest__Output, _drover_server_JobRegisterResponse__Output>
  JobScale: MethodDefinition<_drover_server_JobScaleRequest, _drover_server_JobRegisterResponse, _drover_server_JobScaleRequest__Output, _drover_server_JobRegisterResponse__Output>
  JobStability: MethodDefinition<_drover_server_JobStabilityRequest, _drover_server_JobStabilityResponse, _drover_server_JobStabilityRequest__Output, _drover_server_JobStabilityResponse__Output>
  NamespaceDelete: MethodDefinition<_drover_server_NamespaceDeleteRequest, _drover_server_WriteResponse, _drover_server_NamespaceDeleteRequest__Output, _drover_server_WriteResponse__Output>
  NamespaceGet: MethodDefinition<_drover_server_GetRequest, _drover_server_GetResponse, _drover_server_GetRequest__Output, _drover_server_GetResponse__Output>
  NamespaceList: MethodDefinition<_drover_server_ListRequest, _drover_server_ListResponse, _drover_server_ListRequest__Output, _drover_server_ListResponse__Output>
  NamespaceUpsert: MethodDefinition<_drover_server_NamespaceUpsertRequest, _drover_server_WriteResponse, _drover_server_NamespaceUpsertRequest__Output, _drover_server_WriteResponse__Output>
  NodeDeregister: MethodDefinition<_drover_server_NodeDeregisterRequest, _drover_server_WriteResponse, _drover_server_NodeDeregisterRequest__Output, _drover_server_WriteResponse__Output>
  NodeGet: MethodDefinition<_drover_server_GetRequest, _drover_server_GetResponse, _drover_server_GetRequest__Output, _drover_server_GetResponse__Output>
  NodeGetClientAllocs: MethodDefinition<_drover_server_NodeGetClientAllocsRequest, _drover_server_ClientAllocsUpdate, _drover_server_NodeGetClientAllocsRequest__Output, _drover_server_ClientAllocsUpdate__Output>
  NodeHeartbeat: MethodDefinition<_drover_server_NodeHeartbeatRequest, _drover_server_NodeUpdateResponse, _drover_server_NodeHeartbeatRequest__Output, _drover_server_NodeUpdateResponse__Output>
  NodeList: MethodDefinition<_drover_server_ListRequest, _drover_server_ListResponse, _drover_server_ListRequest__Output, _drover_server_ListResponse__Output>
  NodeRegister: MethodDefinition<_drover_server_NodeRegisterRequest, _drover_server_NodeUpdateResponse, _drover_server_NodeRegisterRequest__Output, _drover_server_NodeUpdateResponse__Output>
  NodeUpdateDrain: MethodDefinition<_drover_server_NodeUpdateDrainRequest, _drover_server_WriteResponse, _drover_server_NodeUpdateDrainRequest__Output, _drover_server_WriteResponse__Output>
  NodeUpdateEligibility: MethodDefinition<_drover_server_NodeUpdateEligibilityRequest, _drover_server_WriteResponse, _drover_server_NodeUpdateEligibilityRequest__Output, _drover_server_WriteResponse__Output>
  NodeUpdateStatus: MethodDefinition<_drover_server_NodeUpdateStatusRequest, _drover_server_NodeUpdateResponse, _drover_server_NodeUpdateStatusRequest__Output, _drover_server_NodeUpdateResponse__Output>
  PlanSubmit: MethodDefinition<_drover_server_PlanSubmitRequest, _drover_server_PlanSubmitResponse, _drover_server_PlanSubmitRequest__Output, _drover_server_PlanSubmitResponse__Output>
  SchedulerGetConfig: MethodDefinition<_drover_server_GetRequest, _drover_server_GetResponse, _drover_server_GetRequest__Output, _drover_server_GetResponse__Output>
  SchedulerSetConfig: MethodDefinition<_drover_server_SchedulerSetConfigRequest, _drover_server_SchedulerSetConfigResponse, _drover_server_SchedulerSetConfigRequest__Output, _drover_server_SchedulerSetConfigResponse__Output>
  StatusLeader: MethodDefinition<_drover_server_Empty, _drover_server_StatusLeaderResponse, _drover_server_Empty__Output, _drover_server_StatusLeaderResponse__Output>
  StatusPeers: MethodDefinition<_drover_server_Empty, _drover_server_StatusPeersResponse, _drover_server_Empty__Output, _drover_server_StatusPeersResponse__Output>
  SystemGc: MethodDefinition<_drover_server_Empty, _drover_server_Empty, _drover_server_Empty__Output, _drover_server_Empty__Output>
  VarDelete: MethodDefinition<_drover_server_VarDeleteRequest, _drover_server_VarResponse, _drover_server_VarDeleteRequest__Output, _drover_server_VarResponse__Output>
  VarGet: MethodDefinition<_drover_server_VarGetRequest, _drover_server_VarResponse, _drover_server_VarGetRequest__Output, _drover_server_VarResponse__Output>
  VarList: MethodDefinition<_drover_server_ListRequest, _drover_server_ListResponse, _drover_server_ListRequest__Output, _drover_server_ListResponse__Output>
  VarPut: MethodDefinition<_drover_server_VarPutRequest, _drover_server_VarResponse, _drover_server_VarPutRequest__Output, _drover_server_VarResponse__Output>
}
