// Original file: proto/server.proto


export interface NodeHeartbeatRequest {
  'nodeId'?: (string);
  'secretId'?: (string);
}

export interface NodeHeartbeatRequest__Output {
  'nodeId': (string);
  'secretId': (string);
}
