// Original file: proto/server.proto


export interface JobPlanRequest {
  'job'?: (Buffer | Uint8Array | string);
  'diff'?: (boolean);
}

export interface JobPlanRequest__Output {
  'job': (Buffer);
  'diff': (boolean);
}
