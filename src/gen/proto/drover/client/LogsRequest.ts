// Original file: proto/client.proto

import type { Long } from '@grpc/proto-loader';

export interface LogsRequest {
  'allocId'?: (string);
  'task'?: (string);
  'type'?: (string);
  'origin'?: (string);
  'offset'?: (number | string | Long);
  'follow'?: (boolean);
}

export interface LogsRequest__Output {
  'allocId': (string);
  'task': (string);
  'type': (string);
  'origin': (string);
  'offset': (number);
  'follow': (boolean);
}
