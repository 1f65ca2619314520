// Original file: /work/main/proto/server.proto


export interface Empty {
}

export interface Empty__Output {
}
