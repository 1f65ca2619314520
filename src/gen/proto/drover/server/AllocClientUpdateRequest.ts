// Original file: proto/server.proto


export interface AllocClientUpdateRequest {
  'allocs'?: (Buffer | Uint8Array | string);
  'nodeSecrets'?: ({[key: string]: string});
}

export interface AllocClientUpdateRequest__Output {
  'allocs': (Buffer);
  'nodeSecrets': ({[key: string]: string});
}
