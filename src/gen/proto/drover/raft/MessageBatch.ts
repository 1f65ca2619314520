// Original file: proto/raft.proto

import type { RaftMessage as _drover_raft_RaftMessage, RaftMessage__Output as _drover_raft_RaftMessage__Output } from '../../drover/raft/RaftMessage.js';

export interface MessageBatch {
  'messages'?: (_drover_raft_RaftMessage)[];
}

export interface MessageBatch__Output {
  'messages': (_drover_raft_RaftMessage__Output)[];
}
