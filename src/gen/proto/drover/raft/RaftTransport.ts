// Original file: proto/raft.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Empty as _drover_raft_Empty, Empty__Output as _drover_raft_Empty__Output } from '../../drover/raft/Empty.js';
import type { MessageBatch as _drover_raft_MessageBatch, MessageBatch__Output as _drover_raft_MessageBatch__Output } from '../../drover/raft/MessageBatch.js';
import type { PackedMessages as _drover_raft_PackedMessages, PackedMessages__Output as _drover_raft_PackedMessages__Output } from '../../drover/raft/PackedMessages.js';
import type { SnapshotAck as _drover_raft_SnapshotAck, SnapshotAck__Output as _drover_raft_SnapshotAck__Output } from '../../drover/raft/SnapshotAck.js';
import type { SnapshotChunk as _drover_raft_SnapshotChunk, SnapshotChunk__Output as _drover_raft_SnapshotChunk__Output } from '../../drover/raft/SnapshotChunk.js';

export interface RaftTransportClient extends grpc.Client {
  InstallSnapshot(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_SnapshotAck__Output>): grpc.ClientWritableStream<_drover_raft_SnapshotChunk>;
  InstallSnapshot(metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_raft_SnapshotAck__Output>): grpc.ClientWritableStream<_drover_raft_SnapshotChunk>;
  InstallSnapshot(options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_SnapshotAck__Output>): grpc.ClientWritableStream<_drover_raft_SnapshotChunk>;
  InstallSnapshot(callback: grpc.requestCallback<_drover_raft_SnapshotAck__Output>): grpc.ClientWritableStream<_drover_raft_SnapshotChunk>;
  installSnapshot(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_SnapshotAck__Output>): grpc.ClientWritableStream<_drover_raft_SnapshotChunk>;
  installSnapshot(metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_raft_SnapshotAck__Output>): grpc.ClientWritableStream<_drover_raft_SnapshotChunk>;
  installSnapshot(options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_SnapshotAck__Output>): grpc.ClientWritableStream<_drover_raft_SnapshotChunk>;
  installSnapshot(callback: grpc.requestCallback<_drover_raft_SnapshotAck__Output>): grpc.ClientWritableStream<_drover_raft_SnapshotChunk>;
  
  Send(argument: _drover_raft_MessageBatch, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_Empty__Output>): grpc.ClientUnaryCall;
  Send(argument: _drover_raft_MessageBatch, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_raft_Empty__Output>): grpc.ClientUnaryCall;
  Send(argument: _drover_raft_MessageBatch, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_Empty__Output>): grpc.ClientUnaryCall;
  Send(argument: _drover_raft_MessageBatch, callback: grpc.requestCallback<_drover_raft_Empty__Output>): grpc.ClientUnaryCall;
  send(argument: _drover_raft_MessageBatch, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_Empty__Output>): grpc.ClientUnaryCall;
  send(argument: _drover_raft_MessageBatch, metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_raft_Empty__Output>): grpc.ClientUnaryCall;
  send(argument: _drover_raft_MessageBatch, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_Empty__Output>): grpc.ClientUnaryCall;
  send(argument: _drover_raft_MessageBatch, callback: grpc.requestCallback<_drover_raft_Empty__Output>): grpc.ClientUnaryCall;
  
  StreamPacked(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_Empty__Output>): grpc.ClientWritableStream<_drover_raft_PackedMessages>;
  StreamPacked(metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_raft_Empty__Output>): grpc.ClientWritableStream<_drover_raft_PackedMessages>;
  StreamPacked(options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_Empty__Output>): grpc.ClientWritableStream<_drover_raft_PackedMessages>;
  StreamPacked(callback: grpc.requestCallback<_drover_raft_Empty__Output>): grpc.ClientWritableStream<_drover_raft_PackedMessages>;
  streamPacked(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_Empty__Output>): grpc.ClientWritableStream<_drover_raft_PackedMessages>;
  streamPacked(metadata: grpc.Metadata, callback: grpc.requestCallback<_drover_raft_Empty__Output>): grpc.ClientWritableStream<_drover_raft_PackedMessages>;
  streamPacked(options: grpc.CallOptions, callback: grpc.requestCallback<_drover_raft_Empty__Output>): grpc.ClientWritableStream<_drover_raft_PackedMessages>;
  streamPacked(callback: grpc.requestCallback<_drover_raft_Empty__Output>): grpc.ClientWritableStream<_drover_raft_PackedMessages>;
  
}

export interface RaftTransportHandlers extends grpc.UntypedServiceImplementation {
  InstallSnapshot: grpc.handleClientStreamingCall<_drover_raft_SnapshotChunk__Output, _drover_raft_SnapshotAck>;
  
  Send: grpc.handleUnaryCall<_drover_raft_MessageBatch__Output, _drover_raft_Empty>;
  
  StreamPacked: grpc.handleClientStreamingCall<_drover_raft_PackedMessages__Output, _drover_raft_Empty>;
  
}

export interface RaftTransportDefinition extends grpc.ServiceDefinition {
  InstallSnapshot: MethodDefinition<_drover_raft_SnapshotChunk, _drover_raft_SnapshotAck, _drover_raft_SnapshotChunk__Output, _drover_raft_SnapshotAck__Output>
  Send: MethodDefinition<_drover_raft_MessageBatch, _drover_raft_Empty, _drover_raft_MessageBatch__Output, _drover_raft_Empty__Output>
  StreamPacked: MethodDefinition<_drover_raft_PackedMessages, _drover_raft_Empty, _drover_raft_PackedMessages__Output, _drover_raft_Empty__Output>
}
