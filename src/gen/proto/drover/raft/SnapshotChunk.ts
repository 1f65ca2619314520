// Original file: proto/raft.proto

import type { RaftMessage as _drover_raft_RaftMessage, RaftMessage__Output as _drover_raft_RaftMessage__Output } from '../../drover/raft/RaftMessage.js';

export interface SnapshotChunk {
  'message'?: (_drover_raft_RaftMessage | null);
  'data'?: (Buffer | Uint8Array | string);
}

export interface SnapshotChunk__Output {
  'message': (_drover_raft_RaftMessage__Output | null);
  'data': (Buffer);
}
