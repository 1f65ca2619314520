// Original file: proto/raft.proto


export interface PackedMessages {
  'messages'?: (Buffer | Uint8Array | string);
}

export interface PackedMessages__Output {
  'messages': (Buffer);
}
