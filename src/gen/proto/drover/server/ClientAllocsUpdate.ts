// Original file: proto/server.proto

import type { Long } from '@grpc/proto-loader';

export interface ClientAllocsUpdate {
  'index'?: (number | string | Long);
  'full'?: (boolean);
  'allocs'?: (Buffer | Uint8Array | string);
  'jobs'?: (Buffer | Uint8Array | string);
  'removedAllocIds'?: (string)[];
}

export interface ClientAllocsUpdate__Output {
  'index': (number);
  'full': (boolean);
  'allocs': (Buffer);
  'jobs': (Buffer);
  'removedAllocIds': (string)[];
}
