// Original file: proto/server.proto


export interface EvalUpsertRequest {
  'evals'?: (Buffer | Uint8Array | string);
  'token'?: (string);
  'reblock'?: (boolean);
}

export interface EvalUpsertRequest__Output {
  'evals': (Buffer);
  'token': (string);
  'reblock': (boolean);
}
