// Original file: proto/server.proto

import type { QueryOptions as _drover_server_QueryOptions, QueryOptions__Output as _drover_server_QueryOptions__Output } from '../../drover/server/QueryOptions.js';

export interface JobRelatedRequest {
  'jobId'?: (string);
  'what'?: (string);
  'query'?: (_drover_server_QueryOptions | null);
}

export interface JobRelatedRequest__Output {
  'jobId': (string);
  'what': (string);
  'query': (_drover_server_QueryOptions__Output | null);
}
