// Original file: proto/server.proto

import type { Long } from '@grpc/proto-loader';

export interface VarDeleteRequest {
  'namespace'?: (string);
  'path'?: (string);
  'hasCas'?: (boolean);
  'casIndex'?: (number | string | Long);
}

export interface VarDeleteRequest__Output {
  'namespace': (string);
  'path': (string);
  'hasCas': (boolean);
  'casIndex': (number);
}
