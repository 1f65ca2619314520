# /etc/drover/client.hcl — a client machine. Change `name` and `bind_addr` to this machine's.
#
# bind_addr is where the client's HTTP API listens, what it tells the servers, and the address
# tasks' ports are reached on (NOMAD_IP_<label>), so use the machine's routable address.

name       = "client-1"
region     = "global"
datacenter = "dc1"
data_dir   = "/var/lib/drover"
bind_addr  = "10.0.0.21"

ports {
  http = 4646
  # rpc: the client's own gRPC port, which servers call to stream task logs. Fixed here so a
  # firewall can allow it; without it the client picks a free port.
  rpc = 4647
}

client {
  enabled = true

  # Any one server is enough (the client learns the others); listing all survives a server
  # being down at start.
  servers = ["10.0.0.11:4647", "10.0.0.12:4647", "10.0.0.13:4647"]

  node_class = "general"
  node_pool  = "default"

  meta = {
    rack = "r1"
  }

  # Kept back for the machine itself: the scheduler never hands these to tasks.
  reserved {
    cpu            = 500  # MHz
    memory         = 512  # MB
    disk           = 1024 # MB
    reserved_ports = "22"
  }

  # exec, java and docker are on when their fingerprint is healthy; raw_exec (no isolation)
  # and mock are off unless enabled here.
  options = {
    "driver.raw_exec.enable" = "1"
  }
}
