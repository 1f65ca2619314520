// Original file: proto/server.proto

import type { Long } from '@grpc/proto-loader';

export interface VarPutRequest {
  'namespace'?: (string);
  'path'?: (string);
  'items'?: ({[key: string]: string});
  'hasCas'?: (boolean);
  'casIndex'?: (number | string | Long);
}

export interface VarPutRequest__Output {
  'namespace': (string);
  'path': (string);
  'items': ({[key: string]: string});
  'hasCas': (boolean);
  'casIndex': (number);
}
