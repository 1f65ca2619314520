# A periodic batch job: the servers launch a child job every minute (UTC), never two at once.
# `drover job periodic force report` (or POST /v1/job/report/periodic/force) launches one now.
#
#   drover job run examples/periodic.hcl
#   drover job status report
job "report" {
  datacenters = ["*"]
  type        = "batch"

  periodic {
    crons            = ["*/1 * * * *"]
    prohibit_overlap = true
    time_zone        = "UTC"
  }

  group "report" {
    task "report" {
      driver = "exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "echo \"report from $NOMAD_JOB_NAME at $(date -u +%FT%TZ)\""]
      }

      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
