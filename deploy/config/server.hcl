# /etc/drover/server.hcl — one of three servers. Copy it to each server machine and change
# `name` and `bind_addr` to that machine's; `retry_join` lists all three (a server skips itself).
#
# bind_addr is where the agent listens AND the address it gives the other servers and the
# clients, so it must be an address they can reach (not 0.0.0.0).

name       = "server-1"
region     = "global"
datacenter = "dc1"
data_dir   = "/var/lib/drover"
bind_addr  = "10.0.0.11"

ports {
  http = 4646 # HTTP API and /v1/metrics
  rpc  = 4647 # Raft and server RPC (gRPC)
}

server {
  enabled          = true
  bootstrap_expect = 3

  server_join {
    retry_join = ["10.0.0.11:4647", "10.0.0.12:4647", "10.0.0.13:4647"]
  }

  # A client that misses heartbeats for min_heartbeat_ttl (or more, with many nodes) plus
  # heartbeat_grace is marked down and its allocations are replaced elsewhere.
  min_heartbeat_ttl = "10s"
  heartbeat_grace   = "10s"

  num_schedulers = 2

  # Raft log compaction (these are the defaults): every raft_snapshot_interval the server takes
  # a snapshot if 8192 entries were applied since the last one, and keeps raft_trailing_logs
  # entries behind it so a briefly lagging follower catches up from the log, not a snapshot.
  raft_snapshot_threshold = 8192
  raft_snapshot_interval  = "120s"
  raft_trailing_logs      = 1024
}
