// Original file: proto/raft.proto


export interface SnapshotAck {
  'ok'?: (boolean);
}

export interface SnapshotAck__Output {
  'ok': (boolean);
}
