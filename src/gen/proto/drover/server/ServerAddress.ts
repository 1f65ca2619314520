// Original file: proto/server.proto


export interface ServerAddress {
  'id'?: (string);
  'rpcAddress'?: (string);
}

export interface ServerAddress__Output {
  'id': (string);
  'rpcAddress': (string);
}
