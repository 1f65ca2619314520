// Original file: proto/server.proto

import type { QueryOptions as _drover_server_QueryOptions, QueryOptions__Output as _drover_server_QueryOptions__Output } from '../../drover/server/QueryOptions.js';

export interface VarGetRequest {
  'namespace'?: (string);
  'path'?: (string);
  'query'?: (_drover_server_QueryOptions | null);
}

export interface VarGetRequest__Output {
  'namespace': (string);
  'path': (string);
  'query': (_drover_server_QueryOptions__Output | null);
}
