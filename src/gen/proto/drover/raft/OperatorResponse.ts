// Original file: proto/raft.proto

import type { ServerInfo as _drover_raft_ServerInfo, ServerInfo__Output as _drover_raft_ServerInfo__Output } from '../../drover/raft/ServerInfo.js';
import type { Long } from '@grpc/proto-loader';

export interface OperatorResponse {
  'index'?: (number | string | Long);
  'leader'?: (_drover_raft_ServerInfo | null);
}

export interface OperatorResponse__Output {
  'index': (number);
  'leader': (_drover_raft_ServerInfo__Output | null);
}
