// Original file: proto/server.proto

import type { Long } from '@grpc/proto-loader';

export interface JobRevertRequest {
  'namespace'?: (string);
  'jobId'?: (string);
  'jobVersion'?: (number | string | Long);
  'hasEnforcePriorVersion'?: (boolean);
  'enforcePriorVersion'?: (number | string | Long);
}

export interface JobRevertRequest__Output {
  'namespace': (string);
  'jobId': (string);
  'jobVersion': (number);
  'hasEnforcePriorVersion': (boolean);
  'enforcePriorVersion': (number);
}
