// Original file: proto/server.proto

import type { Long } from '@grpc/proto-loader';

export interface EvalWriteResponse {
  'evalId'?: (string);
  'evalCreateIndex'?: (number | string | Long);
  'modifyIndex'?: (number | string | Long);
  'index'?: (number | string | Long);
}

export interface EvalWriteResponse__Output {
  'evalId': (string);
  'evalCreateIndex': (number);
  'modifyIndex': (number);
  'index': (number);
}
