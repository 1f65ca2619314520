// Original file: /work/main/proto/server.proto


export interface AllocClientUpdateRequest {
  'allocs'?: (Buffer | Uint8Array | string);
  'nodeSecretId'?: (string);
}

export interface AllocClientUpdateRequest__Output {
  'allocs': (Buffer);
  'nodeSecretId': (string);
}
