// Original file: proto/server.proto


export interface PlanSubmitRequest {
  'plan'?: (Buffer | Uint8Array | string);
}

export interface PlanSubmitRequest__Output {
  'plan': (Buffer);
}
