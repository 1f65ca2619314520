// Original file: /work/main/proto/raft.proto


export interface Empty {
}

export interface Empty__Output {
}
