// Original file: proto/raft.proto

import type { ServerInfo as _drover_raft_ServerInfo, ServerInfo__Output as _drover_raft_ServerInfo__Output } from '../../drover/raft/ServerInfo.js';
import type { Long } from '@grpc/proto-loader';

export interface DiscoverResponse {
  'self'?: (_drover_raft_ServerInfo | null);
  'known'?: (_drover_raft_ServerInfo)[];
  'inCluster'?: (boolean);
  'leader'?: (_drover_raft_ServerInfo | null);
  'configurationIndex'?: (number | string | Long);
}

export interface DiscoverResponse__Output {
  'self': (_drover_raft_ServerInfo__Output | null);
  'known': (_drover_raft_ServerInfo__Output)[];
  'inCluster': (boolean);
  'leader': (_drover_raft_ServerInfo__Output | null);
  'configurationIndex': (number);
}
