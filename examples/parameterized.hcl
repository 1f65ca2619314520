# A parameterized batch job: registering it runs nothing; each dispatch runs one child job with
# its own payload (written to the task's local/input.txt) and metadata.
#
#   drover job run examples/parameterized.hcl
#   echo "some input" | drover job dispatch -meta target=eu greet -
job "greet" {
  datacenters = ["*"]
  type        = "batch"

  parameterized {
    payload       = "optional"
    meta_required = ["target"]
    meta_optional = ["style"]
  }

  group "greet" {
    task "greet" {
      driver = "exec"

      dispatch_payload {
        file = "input.txt"
      }

      config {
        command = "/bin/sh"
        args    = ["-c", "echo \"greeting $NOMAD_META_target with: $(cat \"$NOMAD_TASK_DIR/input.txt\" 2>/dev/null)\""]
      }

      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
