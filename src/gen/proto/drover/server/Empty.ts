// Original file: proto/server.proto


export interface Empty {
}

export interface Empty__Output {
}
