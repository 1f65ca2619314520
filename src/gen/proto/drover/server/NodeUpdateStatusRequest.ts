// Original file: proto/server.proto


export interface NodeUpdateStatusRequest {
  'nodeId'?: (string);
  'secretId'?: (string);
  'status'?: (string);
}

export interface NodeUpdateStatusRequest__Output {
  'nodeId': (string);
  'secretId': (string);
  'status': (string);
}
