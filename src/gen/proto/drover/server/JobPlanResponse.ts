// Original file: proto/server.proto


export interface JobPlanResponse {
  'result'?: (Buffer | Uint8Array | string);
}

export interface JobPlanResponse__Output {
  'result': (Buffer);
}
