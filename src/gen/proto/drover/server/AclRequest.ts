// Original file: proto/server.proto

import type { QueryOptions as _drover_server_QueryOptions, QueryOptions__Output as _drover_server_QueryOptions__Output } from '../../drover/server/QueryOptions.js';

export interface AclRequest {
  'op'?: (string);
  'body'?: (Buffer | Uint8Array | string);
  'query'?: (_drover_server_QueryOptions | null);
}

export interface AclRequest__Output {
  'op': (string);
  'body': (Buffer);
  'query': (_drover_server_QueryOptions__Output | null);
}
