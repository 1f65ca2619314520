# A batch job: three instances each do a piece of work and exit; the job is dead (complete) when
# all three have succeeded.
#
#   drover job run examples/batch.hcl
#   drover job status count-words
job "count-words" {
  datacenters = ["*"]
  type        = "batch"

  group "count" {
    count = 3

    restart {
      attempts = 1
      delay    = "1s"
      mode     = "fail"
    }

    task "count" {
      driver = "exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "echo \"instance $NOMAD_ALLOC_INDEX counted $(echo one two three | wc -w) words\""]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
