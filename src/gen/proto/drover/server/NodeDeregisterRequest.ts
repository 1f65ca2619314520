// Original file: /work/main/proto/server.proto


export interface NodeDeregisterRequest {
  'nodeId'?: (string);
}

export interface NodeDeregisterRequest__Output {
  'nodeId': (string);
}
