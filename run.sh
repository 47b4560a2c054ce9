#!/usr/bin/env bash
# The README's two set-up commands:
#   ./run.sh demo   install what the agent needs, run it once on the bundled sample lab
#   ./run.sh test   install what the tests need (InfluxDB, snmpd, fping, Chromium…), run them
# Both work on a fresh Debian machine as root; as another user they install what pip can
# and the tests that need a missing tool skip with the reason.
set -euo pipefail
cd "$(dirname "$0")"

APT_BASE=(python3 python3-venv python3-dev gcc iproute2 iptables libcap2-bin)
APT_TEST=(influxdb snmpd snmp fping chromium iputils-ping procps)

apt_install() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        echo "run.sh: not root or no apt-get; missing Debian packages: ${missing[*]}" >&2
        return 0
    fi
    echo "run.sh: installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

venv() {
    local stamp=.venv/.installed extras="$1"
    local want
    want="$(sha256sum pyproject.toml | cut -c1-16)-$extras"
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv
    fi
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >&2
        .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extras" >&2
        echo "$want" > "$stamp"
    fi
}

case "${1:-}" in
demo)
    apt_install "${APT_BASE[@]}"
    venv ""
    # The sample lab: ICMP against loopback addresses, some devices down (see README):
    # exit 1 says "devices down", which is what the demo shows; 2 and 3 are failures.
    .venv/bin/netagent run --once || [ $? -eq 1 ]
    ;;
test)
    apt_install "${APT_BASE[@]}" "${APT_TEST[@]}"
    venv "[test]"
    shift
    set +e
    .venv/bin/python -m pytest "$@"
    rc=$?
    set -e
    # pytest's 5 means it collected no test: a broken run, not a green one.
    [ "$rc" -eq 5 ] && { echo "run.sh: no test was collected" >&2; exit 1; }
    exit "$rc"
    ;;
*)
    echo "usage: ./run.sh demo | ./run.sh test [pytest args]" >&2
    exit 2
    ;;
esac
