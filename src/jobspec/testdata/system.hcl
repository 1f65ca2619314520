# A system job: one allocation on every eligible Linux node.
job "node-exporter" {
  datacenters = ["*"]
  type        = "system"
  node_pool   = "all"

  constraint {
    attribute = "${attr.kernel.name}"
    operator  = "="
    value     = "linux"
  }

  update {
    max_parallel = 2
    stagger      = "15s"
  }

  group "exporter" {
    network {
      port "metrics" {
        static = 9100
      }
    }

    restart {
      attempts = 5
      interval = "5m"
      delay    = "25s"
      mode     = "delay"
    }

    task "exporter" {
      driver = "exec"

      config {
        command = "/usr/local/bin/node_exporter"
        args    = ["--web.listen-address=:${NOMAD_PORT_metrics}"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
