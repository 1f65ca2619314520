// Original file: proto/server.proto

import type { ServerAddress as _drover_server_ServerAddress, ServerAddress__Output as _drover_server_ServerAddress__Output } from '../../drover/server/ServerAddress.js';
import type { Long } from '@grpc/proto-loader';

export interface NodeUpdateResponse {
  'heartbeatTtlMs'?: (number | string | Long);
  'evalIds'?: (string)[];
  'evalCreateIndex'?: (number | string | Long);
  'nodeModifyIndex'?: (number | string | Long);
  'index'?: (number | string | Long);
  'leaderRpcAddress'?: (string);
  'servers'?: (_drover_server_ServerAddress)[];
}

export interface NodeUpdateResponse__Output {
  'heartbeatTtlMs': (number);
  'evalIds': (string)[];
  'evalCreateIndex': (number);
  'nodeModifyIndex': (number);
  'index': (number);
  'leaderRpcAddress': (string);
  'servers': (_drover_server_ServerAddress__Output)[];
}
