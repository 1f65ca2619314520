// Original file: proto/raft.proto


export interface ConfigurationServer {
  'id'?: (string);
  'address'?: (string);
  'voter'?: (boolean);
  'leader'?: (boolean);
}

export interface ConfigurationServer__Output {
  'id': (string);
  'address': (string);
  'voter': (boolean);
  'leader': (boolean);
}
