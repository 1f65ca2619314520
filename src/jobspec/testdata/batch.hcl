# A batch job: runs to completion, retried by the batch restart and reschedule defaults.
job "report" {
  datacenters = ["dc1"]
  type        = "batch"

  group "render" {
    count = 2

    reschedule {
      attempts       = 2
      interval       = "1h"
      delay          = "30s"
      delay_function = "exponential"
      max_delay      = "10m"
    }

    ephemeral_disk {
      size = 500
    }

    task "render" {
      driver = "raw_exec"
      user   = "nobody"

      config {
        command = "/bin/sh"
        args    = ["-c", "echo rendering ${NOMAD_ALLOC_INDEX}; sleep 5"]
      }

      logs {
        max_files     = 3
        max_file_size = 5
      }

      resources {
        cpu        = 100
        memory     = 64
        memory_max = 128
      }
    }
  }
}
