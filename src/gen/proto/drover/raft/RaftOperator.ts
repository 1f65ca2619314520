// Original file: proto/raft.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddServerRequest as _drover_raft_AddServerRequest, AddServerRequest__Output as _drover_raft_AddServerRequest__Output } from '../../drover/raft/AddServerRequest.js';
import type { AutopilotHealthResponse as _drover_raft_AutopilotHealthResponse, AutopilotHealthResponse__Output as _drover_raft_AutopilotHealthResponse__Output } from '../../drover/raft/AutopilotHealthResponse.js';
import type { Configuration as _drover_raft_Configuration, Configuration__Output as _drover_raft_Configuration__Output } from '../../drover/raft/Configuration.js';
import type { DiscoverRequest as _drover_raft_DiscoverRequest, DiscoverRequest__Output as _drover_raft_DiscoverRequest__Output } from '../../drover/raft/DiscoverRequest.js';
import type { DiscoverResponse as _drover_raft_DiscoverResponse, DiscoverResponse__Output as _drover_raft_DiscoverResponse__Output } from '../../drover/raft/DiscoverResponse.js';
import type { Empty as _drover_raft_Empty, Empty__Output as _drover_raft_Empty__Output } from '../../drover/raft/Empty.js';
import type { OperatorResponse as _drover_raft_OperatorResponse, OperatorResponse__Output as _drover_raft_OperatorResponse__Output } from '../../drover/raft/OperatorResponse.js';
import type { RaftEndpointResponse as _drover_raft_RaftEndpointResponse, RaftEndpointResponse__Output as _drover_raft_RaftEndpointResponse__Output } from '../../drover/raft/RaftEndpointResponse.js';
import type { RemoveServerRequest as _drover_raft_RemoveServerRequest, RemoveServerRequest__Output as _drover_raft_RemoveServerRequest__Output } from '../../drover/raft/RemoveServerRequest.js';
import type { TransferLeadershipRequest as _drover_raft_TransferLeadershipRequest, TransferLeadershipRequest__Output as _drover_raft_TransferLeadershipRequest__Output } from '../../drover/raft/TransferLeadershipRequest.js';

export interface RaftOperatorClient extends grpc.Client {
  AddServer(argument: _drover_raft_AddServerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  AddServer(argument: _drover_raft_AddServerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  AddServer(argument: _drover_raft_AddServerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  AddServer(argument: _drover_raft_AddServerRequest, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  addServer(argument: _drover_raft_AddServerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  addServer(argument: _drover_raft_AddServerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  addServer(argument: _drover_raft_AddServerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  addServer(argument: _drover_raft_AddServerRequest, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  
  AutopilotHealth(argument: _drover_raft_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_AutopilotHealthResponse__Output>): grpc.ClientUnaryCall;
  AutopilotHealth(argument: _drover_raft_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_raft_AutopilotHealthResponse__Output>): grpc.ClientUnaryCall;
  AutopilotHealth(argument: _drover_raft_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_AutopilotHealthResponse__Output>): grpc.ClientUnaryCall;
  AutopilotHealth(argument: _drover_raft_Empty, callback: grpc.requestCallback<_drover_raft_AutopilotHealthResponse__Output>): grpc.ClientUnaryCall;
  autopilotHealth(argument: _drover_raft_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_AutopilotHealthResponse__Output>): grpc.ClientUnaryCall;
  autopilotHealth(argument: _drover_raft_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_raft_AutopilotHealthResponse__Output>): grpc.ClientUnaryCall;
  autopilotHealth(argument: _drover_raft_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_AutopilotHealthResponse__Output>): grpc.ClientUnaryCall;
  autopilotHealth(argument: _drover_raft_Empty, callback: grpc.requestCallback<_drover_raft_AutopilotHealthResponse__Output>): grpc.ClientUnaryCall;
  
  Discover(argument: _drover_raft_DiscoverRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_DiscoverResponse__Output>): grpc.ClientUnaryCall;
  Discover(argument: _drover_raft_DiscoverRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_raft_DiscoverResponse__Output>): grpc.ClientUnaryCall;
  Discover(argument: _drover_raft_DiscoverRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_DiscoverResponse__Output>): grpc.ClientUnaryCall;
  Discover(argument: _drover_raft_DiscoverRequest, callback: grpc.requestCallback<_drover_raft_DiscoverResponse__Output>): grpc.ClientUnaryCall;
  discover(argument: _drover_raft_DiscoverRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_DiscoverResponse__Output>): grpc.ClientUnaryCall;
  discover(argument: _drover_raft_DiscoverRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_raft_DiscoverResponse__Output>): grpc.ClientUnaryCall;
  discover(argument: _drover_raft_DiscoverRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_DiscoverResponse__Output>): grpc.ClientUnaryCall;
  discover(argument: _drover_raft_DiscoverRequest, callback: grpc.requestCallback<_drover_raft_DiscoverResponse__Output>): grpc.ClientUnaryCall;
  
  GetConfiguration(argument: _drover_raft_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_Configuration__Output>): grpc.ClientUnaryCall;
  GetConfiguration(argument: _drover_raft_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_raft_Configuration__Output>): grpc.ClientUnaryCall;
  GetConfiguration(argument: _drover_raft_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_Configuration__Output>): grpc.ClientUnaryCall;
  GetConfiguration(argument: _drover_raft_Empty, callback: grpc.requestCallback<_drover_raft_Configuration__Output>): grpc.ClientUnaryCall;
  getConfiguration(argument: _drover_raft_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_Configuration__Output>): grpc.ClientUnaryCall;
  getConfiguration(argument: _drover_raft_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_raft_Configuration__Output>): grpc.ClientUnaryCall;
  getConfiguration(argument: _drover_raft_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_Configuration__Output>): grpc.ClientUnaryCall;
  getConfiguration(argument: _drover_raft_Empty, callback: grpc.requestCallback<_drover_raft_Configuration__Output>): grpc.ClientUnaryCall;
  
  RaftEndpoint(argument: _drover_raft_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_RaftEndpointResponse__Output>): grpc.ClientUnaryCall;
  RaftEndpoint(argument: _drover_raft_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_raft_RaftEndpointResponse__Output>): grpc.ClientUnaryCall;
  RaftEndpoint(argument: _drover_raft_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_RaftEndpointResponse__Output>): grpc.ClientUnaryCall;
  RaftEndpoint(argument: _drover_raft_Empty, callback: grpc.requestCallback<_drover_raft_RaftEndpointResponse__Output>): grpc.ClientUnaryCall;
  raftEndpoint(argument: _drover_raft_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_RaftEndpointResponse__Output>): grpc.ClientUnaryCall;
  raftEndpoint(argument: _drover_raft_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_raft_RaftEndpointResponse__Output>): grpc.ClientUnaryCall;
  raftEndpoint(argument: _drover_raft_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_RaftEndpointResponse__Output>): grpc.ClientUnaryCall;
  raftEndpoint(argument: _drover_raft_Empty, callback: grpc.requestCallback<_drover_raft_RaftEndpointResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveServer(argument: _drover_raft_RemoveServerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  RemoveServer(argument: _drover_raft_RemoveServerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  RemoveServer(argument: _drover_raft_RemoveServerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  RemoveServer(argument: _drover_raft_RemoveServerRequest, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  removeServer(argument: _drover_raft_RemoveServerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  removeServer(argument: _drover_raft_RemoveServerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  removeServer(argument: _drover_raft_RemoveServerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  removeServer(argument: _drover_raft_RemoveServerRequest, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  
  TransferLeadership(argument: _drover_raft_TransferLeadershipRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  TransferLeadership(argument: _drover_raft_TransferLeadershipRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  TransferLeadership(argument: _drover_raft_TransferLeadershipRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  TransferLeadership(argument: _drover_raft_TransferLeadershipRequest, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  transferLeadership(argument: _drover_raft_TransferLeadershipRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  transferLeadership(argument: _drover_raft_TransferLeadershipRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  transferLeadership(argument: _drover_raft_TransferLeadershipRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  transferLeadership(argument: _drover_raft_TransferLeadershipRequest, callback: grpc.requestCallback<_drover_raft_OperatorResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface RaftOperatorHandlers extends grpc.UntypedServiceImplementation {
  AddServer: grpc.handleUnaryCall<_drover_raft_AddServerRequest__Output, _drover_raft_OperatorResponse>;
  
  AutopilotHealth: grpc.handleUnaryCall<_drover_raft_Empty__Output, _drover_raft_AutopilotHealthResponse>;
  
  Discover: grpc.handleUnaryCall<_drover_raft_DiscoverRequest__Output, _drover_raft_DiscoverResponse>;
  
  GetConfiguration: grpc.handleUnaryCall<_drover_raft_Empty__Output, _drover_raft_Configuration>;
  
  RaftEndpoint: grpc.handleUnaryCall<_drover_raft_Empty__Output, _drover_raft_RaftEndpointResponse>;
  
  RemoveServer: grpc.handleUnaryCall<_drover_raft_RemoveServerRequest__Output, _drover_raft_OperatorResponse>;
  
  TransferLeadership: grpc.handleUnaryCall<_drover_raft_TransferLeadershipRequest__Output, _drover_raft_OperatorResponse>;
  
}

export interface RaftOperatorDefinition extends grpc.ServiceDefinition {
  AddServer: MethodDefinition<_drover_raft_AddServerRequest, _drover_raft_OperatorResponse, _drover_raft_AddServerRequest__Output, _drover_raft_OperatorResponse__Output>
  AutopilotHealth: MethodDefinition<_drover_raft_Empty, _drover_raft_AutopilotHealthResponse, _drover_raft_Empty__Output, _drover_raft_AutopilotHealthResponse__Output>
  Discover: MethodDefinition<_drover_raft_DiscoverRequest, _drover_raft_DiscoverResponse, _drover_raft_DiscoverRequest__Output, _drover_raft_DiscoverResponse__Output>
  GetConfiguration: MethodDefinition<_drover_raft_Empty, _drover_raft_Configuration, _drover_raft_Empty__Output, _drover_raft_Configuration__Output>
  RaftEndpoint: MethodDefinition<_drover_raft_Empty, _drover_raft_RaftEndpointResponse, _drover_raft_Empty__Output, _drover_raft_RaftEndpointResponse__Output>
  RemoveServer: MethodDefinition<_drover_raft_RemoveServerRequest, _drover_raft_OperatorResponse, _drover_raft_RemoveServerRequest__Output, _drover_raft_OperatorResponse__Output>
  TransferLeadership: MethodDefinition<_drover_raft_TransferLeadershipRequest, _drover_raft_OperatorResponse, _drover_raft_TransferLeadershipRequest__Output, _drover_raft_OperatorResponse__Output>
}
