// Original file: proto/raft.proto

import type { ServerInfo as _drover_raft_ServerInfo, ServerInfo__Output as _drover_raft_ServerInfo__Output } from '../../drover/raft/ServerInfo.js';

export interface DiscoverRequest {
  'self'?: (_drover_raft_ServerInfo | null);
  'bootstrapExpect'?: (number);
}

export interface DiscoverRequest__Output {
  'self': (_drover_raft_ServerInfo__Output | null);
  'bootstrapExpect': (number);
}
