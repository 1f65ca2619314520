// Original file: proto/client.proto

import type { Long } from '@grpc/proto-loader';

export interface LogFrame {
  'file'?: (string);
  'offset'?: (number | string | Long);
  'data'?: (Buffer | Uint8Array | string);
}

export interface LogFrame__Output {
  'file': (string);
  'offset': (number);
  'data': (Buffer);
}
