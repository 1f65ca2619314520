// Original file: proto/server.proto


export interface AllocStopRequest {
  'allocId'?: (string);
}

export interface AllocStopRequest__Output {
  'allocId': (string);
}
