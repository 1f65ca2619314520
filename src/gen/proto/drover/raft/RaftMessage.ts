// Original file: proto/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface RaftMessage {
  'type'?: (string);
  'from'?: (string);
  'to'?: (string);
  'term'?: (number | string | Long);
  'logTerm'?: (number | string | Long);
  'index'?: (number | string | Long);
  'entries'?: (Buffer | Uint8Array | string);
  'commit'?: (number | string | Long);
  'reject'?: (boolean);
  'rejectHint'?: (number | string | Long);
  'rejectTerm'?: (number | string | Long);
  'snapshotMetadata'?: (Buffer | Uint8Array | string);
  'context'?: (Buffer | Uint8Array | string);
}

export interface RaftMessage__Output {
  'type': (string);
  'from': (string);
  'to': (string);
  'term': (number);
  'logTerm': (number);
  'index': (number);
  'entries': (Buffer);
  'commit': (number);
  'reject': (boolean);
  'rejectHint': (number);
  'rejectTerm': (number);
  'snapshotMetadata': (Buffer);
  'context': (Buffer);
}
