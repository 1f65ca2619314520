// Original file: proto/server.proto

import type { QueryOptions as _drover_server_QueryOptions, QueryOptions__Output as _drover_server_QueryOptions__Output } from '../../drover/server/QueryOptions.js';

export interface GetRequest {
  'id'?: (string);
  'query'?: (_drover_server_QueryOptions | null);
}

export interface GetRequest__Output {
  'id': (string);
  'query': (_drover_server_QueryOptions__Output | null);
}
