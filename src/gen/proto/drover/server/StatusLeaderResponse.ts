// Original file: proto/server.proto


export interface StatusLeaderResponse {
  'leaderId'?: (string);
  'leaderRpcAddress'?: (string);
}

export interface StatusLeaderResponse__Output {
  'leaderId': (string);
  'leaderRpcAddress': (string);
}
