# A web service behind a dynamic port, rolled out one allocation at a time.
variable "image_version" {
  type    = string
  default = "1.27"
}

variable "replicas" {
  type    = number
  default = 3
}

locals {
  image = "nginx:${var.image_version}"
}

job "web" {
  datacenters = ["dc1", "dc2"]
  type        = "service"
  priority    = 60

  meta {
    team = "frontend"
  }

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  update {
    max_parallel     = 1
    min_healthy_time = "15s"
    healthy_deadline = "3m"
    auto_revert      = true
    stagger          = "10s"
  }

  group "frontend" {
    count = var.replicas

    network {
      port "http" {
        to = 8080
      }
    }

    update {
      canary       = 1
      auto_promote = true
    }

    spread {
      attribute = "${node.datacenter}"
      weight    = 80
      target "dc1" {
        percent = 60
      }
      target "dc2" {
        percent = 40
      }
    }

    service {
      name = "web"
      port = "http"
    }

    restart {
      attempts = 3
      delay    = "20s"
    }

    task "nginx" {
      driver = "docker"

      config {
        image = local.image
        ports = ["http"]
        args  = ["-g", "daemon off;"]
      }

      env {
        LISTEN_PORT = "${NOMAD_PORT_http}"
        VERSION     = upper(var.image_version)
      }

      resources {
        cpu    = 250
        memory = 128
      }

      kill_timeout = "30s"
      kill_signal  = "SIGQUIT"
    }
  }
}
