// Original file: proto/server.proto

import type { Long } from '@grpc/proto-loader';

export interface JobStabilityResponse {
  'jobModifyIndex'?: (number | string | Long);
  'index'?: (number | string | Long);
}

export interface JobStabilityResponse__Output {
  'jobModifyIndex': (number);
  'index': (number);
}
