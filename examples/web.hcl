# A web service: two Node.js HTTP servers, each on a port the scheduler picks, replaced one at a
# time when the job changes (a rolling update that reverts itself if the new version never
# becomes healthy).
#
#   drover job run examples/web.hcl
#   drover job status web
variable "greeting" {
  type    = string
  default = "hello"
}

job "web" {
  datacenters = ["*"]
  type        = "service"

  group "web" {
    count = 2

    network {
      port "http" {}
    }

    update {
      max_parallel     = 1
      min_healthy_time = "2s"
      healthy_deadline = "1m"
      auto_revert      = true
    }

    restart {
      attempts = 2
      interval = "1m"
      delay    = "2s"
      mode     = "delay"
    }

    task "server" {
      driver = "exec"

      config {
        command = "node"
        args = [
          "-e",
          "require('http').createServer((q, r) => r.end(process.env.GREETING + ' from ' + process.env.NOMAD_ALLOC_NAME + '\\n')).listen(+process.env.NOMAD_PORT_http, process.env.NOMAD_IP_http, () => console.log('listening on', process.env.NOMAD_ADDR_http))",
        ]
      }

      env {
        GREETING = var.greeting
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
