// Original file: proto/server.proto

import type { Long } from '@grpc/proto-loader';

export interface JobDispatchResponse {
  'dispatchedJobId'?: (string);
  'evalId'?: (string);
  'evalCreateIndex'?: (number | string | Long);
  'jobCreateIndex'?: (number | string | Long);
}

export interface JobDispatchResponse__Output {
  'dispatchedJobId': (string);
  'evalId': (string);
  'evalCreateIndex': (number);
  'jobCreateIndex': (number);
}
