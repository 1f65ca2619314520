# A parameterized job: a template dispatched with a payload and metadata.
job "encode" {
  datacenters = ["dc1"]
  type        = "batch"

  parameterized {
    payload       = "required"
    meta_required = ["input"]
    meta_optional = ["profile"]
  }

  meta {
    profile = "fast"
  }

  group "encode" {
    task "ffmpeg" {
      driver = "exec"

      config {
        command = "/usr/bin/ffmpeg"
        args    = ["-i", "${NOMAD_META_input}", "-preset", "${NOMAD_META_profile}", "out.mp4"]
      }

      dispatch_payload {
        file = "input.json"
      }

      resources {
        cpu    = 1000
        memory = 512
      }
    }
  }
}
