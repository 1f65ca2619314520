// Original file: proto/server.proto

import type { Long } from '@grpc/proto-loader';

export interface WriteResponse {
  'index'?: (number | string | Long);
}

export interface WriteResponse__Output {
  'index': (number);
}
