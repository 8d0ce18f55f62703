# Sourced by ensure-broker.sh and ensure-cluster.sh: `kafka_on_exit CMD ARGS…` runs the command
# when the sourcing shell exits (newest first). A shell has one EXIT trap; this is it, so the
# single broker's and the cluster's clean-ups both run.
if ! declare -F kafka_on_exit >/dev/null; then
  kafka_exit_commands=()
  kafka_on_exit() { kafka_exit_commands+=("$(printf '%q ' "$@")"); }
  kafka_run_exit_commands() {
    local i
    for ((i = ${#kafka_exit_commands[@]} - 1; i >= 0; i--)); do eval "${kafka_exit_commands[i]}" || true; done
  }
  trap kafka_run_exit_commands EXIT
fi
