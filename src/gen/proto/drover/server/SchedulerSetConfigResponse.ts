// Original file: proto/server.proto

import type { Long } from '@grpc/proto-loader';

export interface SchedulerSetConfigResponse {
  'updated'?: (boolean);
  'index'?: (number | string | Long);
}

export interface SchedulerSetConfigResponse__Output {
  'updated': (boolean);
  'index': (number);
}
