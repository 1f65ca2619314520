# A periodic batch job: launched every 15 minutes, never two at once.
job "cleanup" {
  datacenters = ["dc1"]
  type        = "batch"

  periodic {
    crons            = ["*/15 * * * *"]
    prohibit_overlap = true
    time_zone        = "America/New_York"
  }

  group "cleanup" {
    task "cleanup" {
      driver = "raw_exec"

      config {
        command = "/usr/bin/find"
        args    = ["/tmp/cache", "-mtime", "+1", "-delete"]
      }

      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
