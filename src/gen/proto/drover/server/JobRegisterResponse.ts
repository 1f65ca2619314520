// Original file: proto/server.proto

import type { Long } from '@grpc/proto-loader';

export interface JobRegisterResponse {
  'evalId'?: (string);
  'evalCreateIndex'?: (number | string | Long);
  'jobModifyIndex'?: (number | string | Long);
  'index'?: (number | string | Long);
  'warnings'?: (string);
}

export interface JobRegisterResponse__Output {
  'evalId': (string);
  'evalCreateIndex': (number);
  'jobModifyIndex': (number);
  'index': (number);
  'warnings': (string);
}
