// Original file: proto/server.proto

import type { Long } from '@grpc/proto-loader';

export interface JobStabilityRequest {
  'namespace'?: (string);
  'jobId'?: (string);
  'jobVersion'?: (number | string | Long);
  'stable'?: (boolean);
}

export interface JobStabilityRequest__Output {
  'namespace': (string);
  'jobId': (string);
  'jobVersion': (number);
  'stable': (boolean);
}
