import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AddServerRequest as _drover_raft_AddServerRequest, AddServerRequest__Output as _drover_raft_AddServerRequest__Output } from './drover/raft/AddServerRequest.js';
import type { AutopilotHealthResponse as _drover_raft_AutopilotHealthResponse, AutopilotHealthResponse__Output as _drover_raft_AutopilotHealthResponse__Output } from './drover/raft/AutopilotHealthResponse.js';
import type { AutopilotServerHealth as _drover_raft_AutopilotServerHealth, AutopilotServerHealth__Output as _drover_raft_AutopilotServerHealth__Output } from './drover/raft/AutopilotServerHealth.js';
import type { Configuration as _drover_raft_Configuration, Configuration__Output as _drover_raft_Configuration__Output } from './drover/raft/Configuration.js';
import type { ConfigurationServer as _drover_raft_ConfigurationServer, ConfigurationServer__Output as _drover_raft_ConfigurationServer__Output } from './drover/raft/ConfigurationServer.js';
import type { DiscoverRequest as _drover_raft_DiscoverRequest, DiscoverRequest__Output as _drover_raft_DiscoverRequest__Output } from './drover/raft/DiscoverRequest.js';
import type { DiscoverResponse as _drover_raft_DiscoverResponse, DiscoverResponse__Output as _drover_raft_DiscoverResponse__Output } from './drover/raft/DiscoverResponse.js';
import type { Empty as _drover_raft_Empty, Empty__Output as _drover_raft_Empty__Output } from './drover/raft/Empty.js';
import type { MessageBatch as _drover_raft_MessageBatch, MessageBatch__Output as _drover_raft_MessageBatch__Output } from './drover/raft/MessageBatch.js';
import type { OperatorResponse as _drover_raft_OperatorResponse, OperatorResponse__Output as _drover_raft_OperatorResponse__Output } from './drover/raft/OperatorResponse.js';
import type { PackedMessages as _drover_raft_PackedMessages, PackedMessages__Output as _drover_raft_PackedMessages__Output } from './drover/raft/PackedMessages.js';
import type { RaftEndpointResponse as _drover_raft_RaftEndpointResponse, RaftEndpointResponse__Output as _drover_raft_RaftEndpointResponse__Output } from './drover/raft/RaftEndpointResponse.js';
import type { RaftMessage as _drover_raft_RaftMessage, RaftMessage__Output as _drover_raft_RaftMessage__Output } from './drover/raft/RaftMessage.js';
import type { RaftOperatorClient as _drover_raft_RaftOperatorClient, RaftOperatorDefinition as _drover_raft_RaftOperatorDefinition } from './drover/raft/RaftOperator.js';
import type { RaftTransportClient as _drover_raft_RaftTransportClient, RaftTransportDefinition as _drover_raft_RaftTransportDefinition } from './drover/raft/RaftTransport.js';
import type { RemoveServerRequest as _drover_raft_RemoveServerRequest, RemoveServerRequest__Output as _drover_raft_RemoveServerRequest__Output } from './drover/raft/RemoveServerRequest.js';
import type { ServerInfo as _drover_raft_ServerInfo, ServerInfo__Output as _drover_raft_ServerInfo__Output } from './drover/raft/ServerInfo.js';
import type { SnapshotAck as _drover_raft_SnapshotAck, SnapshotAck__Output as _drover_raft_SnapshotAck__Output } from './drover/raft/SnapshotAck.js';
import type { SnapshotChunk as _drover_raft_SnapshotChunk, SnapshotChunk__Output as _drover_raft_SnapshotChunk__Output } from './drover/raft/SnapshotChunk.js';
import type { TransferLeadershipRequest as _drover_raft_TransferLeadershipRequest, TransferLeadershipRequest__Output as _drover_raft_TransferLeadershipRequest__Output } from './drover/raft/TransferLeadershipRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  drover: {
    raft: {
      AddServerRequest: MessageTypeDefinition<_drover_raft_AddServerRequest, _drover_raft_AddServerRequest__Output>
      AutopilotHealthResponse: MessageTypeDefinition<_drover_raft_AutopilotHealthResponse, _drover_raft_AutopilotHealthResponse__Output>
      AutopilotServerHealth: MessageTypeDefinition<_drover_raft_AutopilotServerHealth, _drover_raft_AutopilotServerHealth__Output>
      Configuration: MessageTypeDefinition<_drover_raft_Configuration, _drover_raft_Configuration__Output>
      ConfigurationServer: MessageTypeDefinition<_drover_raft_ConfigurationServer, _drover_raft_ConfigurationServer__Output>
      DiscoverRequest: MessageTypeDefinition<_drover_raft_DiscoverRequest, _drover_raft_DiscoverRequest__Output>
      DiscoverResponse: MessageTypeDefinition<_drover_raft_DiscoverResponse, _drover_raft_DiscoverResponse__Output>
      Empty: MessageTypeDefinition<_drover_raft_Empty, _drover_raft_Empty__Output>
      MessageBatch: MessageTypeDefinition<_drover_raft_MessageBatch, _drover_raft_MessageBatch__Output>
      OperatorResponse: MessageTypeDefinition<_drover_raft_OperatorResponse, _drover_raft_OperatorResponse__Output>
      PackedMessages: MessageTypeDefinition<_drover_raft_PackedMessages, _drover_raft_PackedMessages__Output>
      RaftEndpointResponse: MessageTypeDefinition<_drover_raft_RaftEndpointResponse, _drover_raft_RaftEndpointResponse__Output>
      RaftMessage: MessageTypeDefinition<_drover_raft_RaftMessage, _drover_raft_RaftMessage__Output>
      RaftOperator: SubtypeConstructor<typeof grpc.Client, _drover_raft_RaftOperatorClient> & { service: _drover_raft_RaftOperatorDefinition }
      RaftTransport: SubtypeConstructor<typeof grpc.Client, _drover_raft_RaftTransportClient> & { service: _drover_raft_RaftTransportDefinition }
      RemoveServerRequest: MessageTypeDefinition<_drover_raft_RemoveServerRequest, _drover_raft_RemoveServerRequest__Output>
      ServerInfo: MessageTypeDefinition<_drover_raft_ServerInfo, _drover_raft_ServerInfo__Output>
      SnapshotAck: MessageTypeDefinition<_drover_raft_SnapshotAck, _drover_raft_SnapshotAck__Output>
      SnapshotChunk: MessageTypeDefinition<_drover_raft_SnapshotChunk, _drover_raft_SnapshotChunk__Output>
      TransferLeadershipRequest: MessageTypeDefinition<_drover_raft_TransferLeadershipRequest, _drover_raft_TransferLeadershipRequest__Output>
    }
  }
}

