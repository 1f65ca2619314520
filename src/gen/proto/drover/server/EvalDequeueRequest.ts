// Original file: proto/server.proto

import type { Long } from '@grpc/proto-loader';

export interface EvalDequeueRequest {
  'schedulers'?: (string)[];
  'timeoutMs'?: (number | string | Long);
}

export interface EvalDequeueRequest__Output {
  'schedulers': (string)[];
  'timeoutMs': (number);
}
