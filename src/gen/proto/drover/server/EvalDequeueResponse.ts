// Original file: proto/server.proto

import type { Long } from '@grpc/proto-loader';

export interface EvalDequeueResponse {
  'eval'?: (Buffer | Uint8Array | string);
  'token'?: (string);
  'waitIndex'?: (number | string | Long);
}

export interface EvalDequeueResponse__Output {
  'eval': (Buffer);
  'token': (string);
  'waitIndex': (number);
}
