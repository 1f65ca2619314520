import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ClientFsClient as _drover_client_ClientFsClient, ClientFsDefinition as _drover_client_ClientFsDefinition } from './drover/client/ClientFs.js';
import type { LogFrame as _drover_client_LogFrame, LogFrame__Output as _drover_client_LogFrame__Output } from './drover/client/LogFrame.js';
import type { LogsRequest as _drover_client_LogsRequest, LogsRequest__Output as _drover_client_LogsRequest__Output } from './drover/client/LogsRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  drover: {
    client: {
      ClientFs: SubtypeConstructor<typeof grpc.Client, _drover_client_ClientFsClient> & { service: _drover_client_ClientFsDefinition }
      LogFrame: MessageTypeDefinition<_drover_client_LogFrame, _drover_client_LogFrame__Output>
      LogsRequest: MessageTypeDefinition<_drover_client_LogsRequest, _drover_client_LogsRequest__Output>
    }
  }
}

