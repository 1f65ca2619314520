// Original file: proto/server.proto


export interface NodeDeregisterRequest {
  'nodeId'?: (string);
}

export interface NodeDeregisterRequest__Output {
  'nodeId': (string);
}
