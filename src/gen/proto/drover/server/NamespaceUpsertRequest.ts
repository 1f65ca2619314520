// Original file: proto/server.proto


export interface NamespaceUpsertRequest {
  'namespaces'?: (Buffer | Uint8Array | string);
}

export interface NamespaceUpsertRequest__Output {
  'namespaces': (Buffer);
}
