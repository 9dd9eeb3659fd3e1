#!/usr/bin/env bash
# Terraform checks of the repository, as `make test-terraform` runs them:
#   tools/terraform/check.sh [fmt|init|validate|test|checkov|all]...
# Every configuration is initialised without a backend through the CLI config of cli_config.sh, so this
# works offline when a provider mirror exists. CHECKOV defaults to .venv-checkov/bin/checkov, or to the
# checkov on PATH when that does not exist (the pre-commit hook's environment).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

TF_CLI_CONFIG_FILE="$(tools/terraform/cli_config.sh)"
export TF_CLI_CONFIG_FILE
export TF_IN_AUTOMATION=1
if [[ -z "${CHECKOV:-}" ]]; then
  CHECKOV="$root/.venv-checkov/bin/checkov"
  [[ -x "$CHECKOV" ]] || CHECKOV="$(command -v checkov || echo "$CHECKOV")"
fi

configs=(. modules/*/ examples/*/)
# Configurations with terraform tests: every module, and the examples that have a tests/ directory.
tested=(modules/*/)
for dir in examples/*/; do [[ -d "$dir/tests" ]] && tested+=("$dir"); done

step() { printf '==> %s\n' "$*"; }

# run_all <label> <function> <dir>...: runs "<function> <dir>" for every dir, TF_JOBS at a time (default 3),
# prints each log in order, fails if any failed.
run_all() {
  local label="$1" fn="$2"
  shift 2
  local logs rc=0 i=0 pids=() dirs=("$@")
  logs="$(mktemp -d)"
  for dir in "${dirs[@]}"; do
    while [[ $(jobs -rp | wc -l) -ge ${TF_JOBS:-3} ]]; do wait -n || true; done
    "$fn" "$dir" >"$logs/$i" 2>&1 &
    pids+=($!)
    i=$((i + 1))
  done
  for i in "${!dirs[@]}"; do
    step "$label ${dirs[$i]%/}"
    if ! wait "${pids[$i]}"; then rc=1; fi
    cat "$logs/$i"
  done
  rm -rf "$logs"
  return "$rc"
}

init_one() { terraform -chdir="$1" init -backend=false -input=false -no-color >/dev/null; }
validate_one() { init_one "$1" && terraform -chdir="$1" validate -no-color; }
test_one() {
  if [[ "$1" == "." ]]; then
    terraform test -test-directory=tests/terraform -no-color
  else
    terraform -chdir="$1" test -no-color
  fi
}

do_fmt() {
  # Only this project's Terraform: build/ and tests/integration hold files generated or owned by other tools.
  step "terraform fmt -check -recursive (root, modules, examples, tests/terraform)"
  terraform fmt -check -diff .
  terraform fmt -check -recursive -diff modules examples tests/terraform
}

do_init() { run_all "terraform init" init_one "${configs[@]}"; }

do_validate() { run_all "terraform init + validate" validate_one "${configs[@]}"; }

do_test() {
  # Tests need their configuration initialised; the root's tests (tests/terraform) need the root's.
  for dir in "${tested[@]}" .; do [[ -d "$dir/.terraform" ]] || init_one "$dir"; done
  run_all "terraform test" test_one "${tested[@]}" .
}

do_checkov() {
  step "checkov (.checkov.yaml)"
  "$CHECKOV" --config-file .checkov.yaml
}

[[ $# -gt 0 ]] || set -- all
for cmd in "$@"; do
  case "$cmd" in
    fmt | init | validate | test | checkov) "do_$cmd" ;;
    all)
      do_fmt
      do_validate
      do_test
      do_checkov
      ;;
    *)
      echo "unknown step: $cmd (fmt, init, validate, test, checkov, all)" >&2
      exit 2
      ;;
  esac
done
