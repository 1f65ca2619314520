// Original file: proto/server.proto


export interface EvalAckRequest {
  'evalId'?: (string);
  'token'?: (string);
}

export interface EvalAckRequest__Output {
  'evalId': (string);
  'token': (string);
}
