// Original file: proto/server.proto


export interface JobDispatchRequest {
  'namespace'?: (string);
  'jobId'?: (string);
  'payload'?: (Buffer | Uint8Array | string);
  'meta'?: ({[key: string]: string});
}

export interface JobDispatchRequest__Output {
  'namespace': (string);
  'jobId': (string);
  'payload': (Buffer);
  'meta': ({[key: string]: string});
}
