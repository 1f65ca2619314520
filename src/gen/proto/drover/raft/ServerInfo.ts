// Original file: proto/raft.proto


export interface ServerInfo {
  'id'?: (string);
  'address'?: (string);
}

export interface ServerInfo__Output {
  'id': (string);
  'address': (string);
}
