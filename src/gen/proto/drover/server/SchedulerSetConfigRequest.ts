// Original file: proto/server.proto

import type { Long } from '@grpc/proto-loader';

export interface SchedulerSetConfigRequest {
  'config'?: (Buffer | Uint8Array | string);
  'hasCas'?: (boolean);
  'cas'?: (number | string | Long);
}

export interface SchedulerSetConfigRequest__Output {
  'config': (Buffer);
  'hasCas': (boolean);
  'cas': (number);
}
