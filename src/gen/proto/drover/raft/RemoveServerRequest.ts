// Original file: proto/raft.proto


export interface RemoveServerRequest {
  'id'?: (string);
}

export interface RemoveServerRequest__Output {
  'id': (string);
}
