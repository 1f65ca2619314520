// Original file: proto/client.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { LogFrame as _drover_client_LogFrame, LogFrame__Output as _drover_client_LogFrame__Output } from '../../drover/client/LogFrame.js';
import type { LogsRequest as _drover_client_LogsRequest, LogsRequest__Output as _drover_client_LogsRequest__Output } from '../../drover/client/LogsRequest.js';

export interface ClientFsClient extends grpc.Client {
  StreamLogs(argument: _drover_client_LogsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_drover_client_LogFrame__Output>;
  StreamLogs(argument: _drover_client_LogsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_drover_client_LogFrame__Output>;
  streamLogs(argument: _drover_client_LogsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_drover_client_LogFrame__Output>;
  streamLogs(argument: _drover_client_LogsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_drover_client_LogFrame__Output>;
  
}

export interface ClientFsHandlers extends grpc.UntypedServiceImplementation {
  StreamLogs: grpc.handleServerStreamingCall<_drover_client_LogsRequest__Output, _drover_client_LogFrame>;
  
}

export interface ClientFsDefinition extends grpc.ServiceDefinition {
  StreamLogs: MethodDefinition<_drover_client_LogsRequest, _drover_client_LogFrame, _drover_client_LogsRequest__Output, _drover_client_LogFrame__Output>
}
