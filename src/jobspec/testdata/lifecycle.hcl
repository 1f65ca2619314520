# Lifecycle tasks: a prestart init task, a sidecar, the main task, and a poststop cleanup.
job "app" {
  datacenters = ["dc1"]

  group "app" {
    count = 1

    network {
      mode = "host"
      port "http" {}
      port "db" {
        static = 5432
        to     = 5432
      }
    }

    ephemeral_disk {
      size = 1000
    }

    migrate {
      max_parallel     = 2
      health_check     = "task_states"
      min_healthy_time = "5s"
    }

    task "wait-for-db" {
      driver = "raw_exec"

      lifecycle {
        hook    = "prestart"
        sidecar = false
      }

      config {
        command = "/bin/sh"
        args    = ["-c", "until nc -z localhost 5432; do sleep 1; done"]
      }

      resources {
        cpu    = 20
        memory = 16
      }
    }

    task "log-shipper" {
      driver = "raw_exec"

      lifecycle {
        hook    = "prestart"
        sidecar = true
      }

      config {
        command = "/usr/bin/tail"
        args    = ["-F", "${NOMAD_ALLOC_DIR}/logs/app.stdout.0"]
      }
    }

    task "app" {
      driver = "raw_exec"
      leader = true

      config {
        command = "/opt/app/bin/server"
      }

      env {
        PORT = "${NOMAD_PORT_http}"
      }

      affinity {
        attribute = "${meta.rack}"
        value     = "r1"
        weight    = 50
      }

      constraint {
        distinct_hosts = true
      }
    }

    task "cleanup" {
      driver = "raw_exec"

      lifecycle {
        hook = "poststop"
      }

      config {
        command = "/bin/rm"
        args    = ["-rf", "${NOMAD_TASK_DIR}/scratch"]
      }
    }
  }
}
