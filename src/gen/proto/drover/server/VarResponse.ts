// Original file: proto/server.proto

import type { QueryMeta as _drover_server_QueryMeta, QueryMeta__Output as _drover_server_QueryMeta__Output } from '../../drover/server/QueryMeta.js';

export interface VarResponse {
  'ok'?: (boolean);
  'variable'?: (Buffer | Uint8Array | string);
  'conflict'?: (boolean);
  'meta'?: (_drover_server_QueryMeta | null);
}

export interface VarResponse__Output {
  'ok': (boolean);
  'variable': (Buffer);
  'conflict': (boolean);
  'meta': (_drover_server_QueryMeta__Output | null);
}
