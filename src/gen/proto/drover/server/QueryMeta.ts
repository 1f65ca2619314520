// Original file: proto/server.proto

import type { Long } from '@grpc/proto-loader';

export interface QueryMeta {
  'index'?: (number | string | Long);
  'knownLeader'?: (boolean);
  'lastContactMs'?: (number | string | Long);
}

export interface QueryMeta__Output {
  'index': (number);
  'knownLeader': (boolean);
  'lastContactMs': (number);
}
