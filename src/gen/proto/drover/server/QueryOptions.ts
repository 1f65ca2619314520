// Original file: proto/server.proto

import type { Long } from '@grpc/proto-loader';

export interface QueryOptions {
  'stale'?: (boolean);
  'minIndex'?: (number | string | Long);
  'maxWaitMs'?: (number | string | Long);
  'namespace'?: (string);
  'prefix'?: (string);
}

export interface QueryOptions__Output {
  'stale': (boolean);
  'minIndex': (number);
  'maxWaitMs': (number);
  'namespace': (string);
  'prefix': (string);
}
