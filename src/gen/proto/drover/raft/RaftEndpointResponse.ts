// Original file: proto/raft.proto


export interface RaftEndpointResponse {
  'address'?: (string);
}

export interface RaftEndpointResponse__Output {
  'address': (string);
}
