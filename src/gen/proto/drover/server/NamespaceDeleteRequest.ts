// Original file: proto/server.proto


export interface NamespaceDeleteRequest {
  'name'?: (string);
}

export interface NamespaceDeleteRequest__Output {
  'name': (string);
}
