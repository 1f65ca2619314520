// Original file: proto/raft.proto


export interface TransferLeadershipRequest {
  'targetId'?: (string);
}

export interface TransferLeadershipRequest__Output {
  'targetId': (string);
}
