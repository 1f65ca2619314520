# A system job: one instance on every eligible client, including clients that join later. Each
# writes the time into its allocation directory every few seconds, like a node agent would.
#
#   drover job run examples/system.hcl
#   drover job allocs node-heartbeat
job "node-heartbeat" {
  datacenters = ["*"]
  type        = "system"

  group "agent" {
    task "beat" {
      driver = "exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "while true; do date -u +%FT%TZ > \"$NOMAD_ALLOC_DIR/last-beat\"; echo beat; sleep 5; done"]
      }

      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
