// Original file: proto/raft.proto


export interface AddServerRequest {
  'id'?: (string);
  'address'?: (string);
}

export interface AddServerRequest__Output {
  'id': (string);
  'address': (string);
}
