// Original file: proto/server.proto


export interface NodeRegisterRequest {
  'node'?: (Buffer | Uint8Array | string);
}

export interface NodeRegisterRequest__Output {
  'node': (Buffer);
}
