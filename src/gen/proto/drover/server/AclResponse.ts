// Original file: proto/server.proto

import type { QueryMeta as _drover_server_QueryMeta, QueryMeta__Output as _drover_server_QueryMeta__Output } from '../../drover/server/QueryMeta.js';

export interface AclResponse {
  'body'?: (Buffer | Uint8Array | string);
  'meta'?: (_drover_server_QueryMeta | null);
}

export interface AclResponse__Output {
  'body': (Buffer);
  'meta': (_drover_server_QueryMeta__Output | null);
}
