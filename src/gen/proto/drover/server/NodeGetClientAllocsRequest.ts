// Original file: proto/server.proto

import type { Long } from '@grpc/proto-loader';

export interface NodeGetClientAllocsRequest {
  'nodeId'?: (string);
  'secretId'?: (string);
  'minIndex'?: (number | string | Long);
  'stale'?: (boolean);
}

export interface NodeGetClientAllocsRequest__Output {
  'nodeId': (string);
  'secretId': (string);
  'minIndex': (number);
  'stale': (boolean);
}
