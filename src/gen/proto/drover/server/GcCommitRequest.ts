// Original file: proto/server.proto


export interface GcCommitRequest {
  'request'?: (Buffer | Uint8Array | string);
  'evalId'?: (string);
  'token'?: (string);
}

export interface GcCommitRequest__Output {
  'request': (Buffer);
  'evalId': (string);
  'token': (string);
}
