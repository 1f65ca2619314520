// Original file: proto/raft.proto


export interface Empty {
}

export interface Empty__Output {
}
