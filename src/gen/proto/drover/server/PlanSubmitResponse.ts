// Original file: proto/server.proto

import type { Long } from '@grpc/proto-loader';

export interface PlanSubmitResponse {
  'result'?: (Buffer | Uint8Array | string);
  'index'?: (number | string | Long);
}

export interface PlanSubmitResponse__Output {
  'result': (Buffer);
  'index': (number);
}
