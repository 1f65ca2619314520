// Original file: proto/server.proto

import type { Long } from '@grpc/proto-loader';

export interface JobRegisterRequest {
  'job'?: (Buffer | Uint8Array | string);
  'enforceIndex'?: (boolean);
  'jobModifyIndex'?: (number | string | Long);
}

export interface JobRegisterRequest__Output {
  'job': (Buffer);
  'enforceIndex': (boolean);
  'jobModifyIndex': (number);
}
