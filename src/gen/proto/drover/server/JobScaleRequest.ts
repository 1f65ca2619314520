// Original file: proto/server.proto

import type { Long } from '@grpc/proto-loader';

export interface JobScaleRequest {
  'namespace'?: (string);
  'jobId'?: (string);
  'group'?: (string);
  'count'?: (number | string | Long);
  'enforceIndex'?: (boolean);
  'jobModifyIndex'?: (number | string | Long);
}

export interface JobScaleRequest__Output {
  'namespace': (string);
  'jobId': (string);
  'group': (string);
  'count': (number);
  'enforceIndex': (boolean);
  'jobModifyIndex': (number);
}
