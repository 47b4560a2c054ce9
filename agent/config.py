"""The agent's configuration: one TOML file, environment overrides, secrets from files.

Every package owns its section's model (next to its code); this module composes them into
`AgentConfig` and adds the daemon's own sections (`[agent]`, `[jobs.*]`, `[roles.*]`,
`[health]`). Precedence, lowest first: model defaults, the TOML file, `<key>_file` keys
(secret read from a file), environment variables `NETAGENT_<SECTION>__<KEY>` (nested keys
joined by `__`, e.g. `NETAGENT_JOBS__ICMP__INTERVAL_S=15`). Errors name the key, what was
expected and where the value came from; secret values are never echoed.
"""

from __future__ import annotations

import ipaddress
import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from agent.alerts import AlertsConfig
from agent.notify import NotifyConfig
from agent.paths import default_data_dir
from agent.shard import Shard
from collectors.icmp import IcmpConfig
from collectors.influx import InfluxConfig
from collectors.snmp import SnmpConfig
from collectors.spool import SpoolConfig
from geo.coverage_config import CoverageConfig
from inventory.model import Role
from inventory.netbox import NetBoxConfig

ENV_PREFIX = "NETAGENT_"
_SECRET_WORDS = ("token", "password", "secret", "community", "key", "passphrase")


class ConfigError(ValueError):
    """The configuration is invalid; `problems` lists one line per bad key."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))
        self.problems = problems


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentSection(_Section):
    data_dir: Path | None = Field(
        default=None,
        description="Where the spool, the state and the lock live; empty: $NETAGENT_DATA_DIR,"
        " else $XDG_STATE_HOME/netagent (systemd: $STATE_DIRECTORY).",
    )
    inventory: list[Path] = Field(
        default_factory=list,
        description="Inventory files or directories (YAML/CSV/GeoJSON); empty: the bundled"
        " Reggio Emilia sample.",
    )
    quartieri: Path | None = Field(
        default=None,
        description="Official quartiere polygons (GeoJSON or Shapefile) replacing those in"
        " the inventory files; empty: the files' own.",
    )
    quartieri_name_field: str = Field(
        default="",
        description="The property of the quartieri file holding each quartiere's name"
        " (official files use NOME, NOME_QUART…); empty: detected from the usual names.",
    )
    source: Literal["files", "netbox"] = Field(
        default="files",
        description="'files': the inventory files are the truth, and the netbox job pushes"
        " them to NetBox (when [netbox] url is set); 'netbox': the devices to poll are pulled"
        " from NetBox at start, at SIGHUP and by every netbox job.",
    )
    shard: str = Field(
        default="",
        description="'K/N': this agent polls only the devices whose name hashes to K of N"
        " (0-based, Prometheus hashmod); empty: every device.",
    )
    shard_by: Literal["device", "subtree", "site"] = Field(
        default="device",
        description="What the shard hash is taken of: 'device' (its name: the most even"
        " split), 'subtree' (the uplink subtree below the core: a switch and what hangs off"
        " it stay on one agent, so root cause stays local), or 'site'.",
    )
    remote_state_max_age_s: float = Field(
        default=120.0, gt=0,
        description="With shards and [influxdb] url: an uplink another shard polls counts as"
        " down or unreachable for root cause when that shard wrote so within this many"
        " seconds; older states are not used.",
    )
    netns: str = Field(
        default="",
        description="Network namespace to poll from (ICMP and SNMP v2c sockets are opened"
        " inside it), e.g. a management VRF's; empty: the agent's own. Needs root or"
        " CAP_SYS_ADMIN.",
    )
    stop_timeout_s: float = Field(
        default=10.0, gt=0,
        description="On SIGTERM, how long in-flight polls and the last spool flush may take"
        " before they are cut.",
    )

    @field_validator("shard")
    @classmethod
    def _shard_valid(cls, v: str) -> str:
        Shard.parse(v)
        return v.strip()

    def bundled_sample(self) -> bool:
        """No inventory configured: the embedded default, the bundled sample lab."""
        return not self.inventory and self.source == "files"

    def resolved_data_dir(self) -> Path:
        if self.data_dir is not None:
            return self.data_dir
        if state := os.environ.get("STATE_DIRECTORY"):  # set by systemd's StateDirectory=
            return Path(state.split(":")[0])
        return default_data_dir()

    def spool_path(self) -> Path:
        """The durable sample store (collectors.spool) inside the data directory."""
        return self.resolved_data_dir() / "spool.sqlite"


class JobSettings(_Section):
    enabled: bool = Field(default=True, description="Run this job at all.")
    interval_s: float = Field(gt=0, description="Seconds between two runs.")
    jitter_s: float = Field(
        default=0.0, ge=0,
        description="Each run starts up to this many seconds late, at random, so that several"
        " agents (or jobs) do not fire in lockstep.",
    )
    misfire_grace_s: float | None = Field(
        default=None, gt=0,
        description="A run the scheduler could not start on time still starts if it is late"
        " by less than this; empty: one interval. (APScheduler's own default, 1 s, makes runs"
        " vanish silently under load.)",
    )

    def grace_s(self) -> float:
        return self.misfire_grace_s if self.misfire_grace_s is not None else self.interval_s


def _job(interval_s: float, jitter_s: float, what: str) -> Any:
    return Field(
        default_factory=lambda: JobSettings(interval_s=interval_s, jitter_s=jitter_s),
        description=what,
    )


class JobsSection(_Section):
    icmp: JobSettings = _job(30, 2, "ICMP echo round over this agent's devices -> icmp.")
    snmp: JobSettings = _job(
        60, 5, "SNMP poll -> snmp_system, interface, wifi, radio_link (rates from the 2nd)."
    )
    netbox: JobSettings = _job(
        900, 30, "NetBox sync (only with [netbox] url): push the files, or pull the devices."
    )
    coverage: JobSettings = _job(
        3600, 60, "Coverage per quartiere -> coverage; also right after an inventory change."
    )
    flush: JobSettings = _job(
        10, 1, "Spool -> InfluxDB (without [influxdb] url: local retention only)."
    )
    housekeeping: JobSettings = _job(60, 5, "The agent's own health -> agent.")

    @model_validator(mode="before")
    @classmethod
    def _keep_defaults(cls, data: Any) -> Any:
        """`[jobs.icmp] interval_s = 10` changes the interval, not the jitter too."""
        if not isinstance(data, dict):
            return data
        merged = dict(data)
        for name, field in cls.model_fields.items():
            given = data.get(name)
            if isinstance(given, dict) and field.default_factory is not None:
                default = field.default_factory()  # type: ignore[call-arg]
                merged[name] = {**default.model_dump(), **given}
        return merged


class RoleIntervals(_Section):
    icmp_interval_s: float | None = Field(
        default=None, gt=0, description="ICMP interval for this role; empty: [jobs.icmp]."
    )
    snmp_interval_s: float | None = Field(
        default=None, gt=0, description="SNMP interval for this role; empty: [jobs.snmp]."
    )


class HealthSection(_Section):
    listen: str = Field(
        default="",
        description="'127.0.0.1:9464' serves /healthz and /metrics (Prometheus text) for the"
        " host's supervisor; loopback only; empty: no HTTP endpoint.",
    )
    stale_after_intervals: float = Field(
        default=3.0, gt=0,
        description="/healthz fails when a job has not completed for this many of its intervals.",
    )

    @field_validator("listen")
    @classmethod
    def _loopback(cls, v: str) -> str:
        if not v:
            return v
        host, sep, port = v.rpartition(":")
        host = host.strip("[]")
        if not sep or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"expected 'HOST:PORT' such as '127.0.0.1:9464', got {v!r}")
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError(f"expected a loopback address (127.0.0.1 or ::1), got {host!r}")
        return v

    def address(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)


class AgentConfig(_Section):
    agent: AgentSection = Field(default_factory=AgentSection)
    jobs: JobsSection = Field(default_factory=JobsSection)
    roles: dict[Role, RoleIntervals] = Field(
        default_factory=dict, description="Per-role interval overrides, e.g. [roles.wifi-ap]."
    )
    health: HealthSection = Field(default_factory=HealthSection)
    # The sections of the other packages, each owned (and documented) next to its code.
    icmp: IcmpConfig = Field(default_factory=IcmpConfig)
    snmp: SnmpConfig = Field(default_factory=SnmpConfig)
    influxdb: InfluxConfig = Field(default_factory=InfluxConfig)
    spool: SpoolConfig = Field(default_factory=SpoolConfig)
    netbox: NetBoxConfig = Field(default_factory=NetBoxConfig)
    coverage: CoverageConfig = Field(default_factory=CoverageConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)

    _source: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _netbox_needed(self) -> AgentConfig:
        if self.agent.source == "netbox" and not self.netbox.url:
            raise ValueError("agent.source = 'netbox' needs [netbox] url (and its token)")
        return self

    @property
    def source(self) -> Path | None:
        """The file this configuration was read from (SIGHUP re-reads it)."""
        return self._source

    def shard(self) -> Shard:
        return Shard.parse(self.agent.shard)

    def with_shard(self, text: str) -> AgentConfig:
        """A copy with agent.shard replaced (the --shard option wins over the file)."""
        try:
            Shard.parse(text)
        except ValueError as e:
            raise ConfigError([f"--shard: {e}"]) from None
        new = self.model_copy(update={"agent": self.agent.model_copy(update={"shard": text})})
        new._source = self._source
        return new

    def interval_for(self, job: str, role: Role) -> float:
        base: JobSettings = getattr(self.jobs, job)
        override = self.roles.get(role)
        value = getattr(override, f"{job}_interval_s", None) if override else None
        return float(value) if value is not None else base.interval_s


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> AgentConfig:
    """Read, merge and validate; raises ConfigError naming every bad key at once."""
    env = os.environ if env is None else env
    if path is None and env.get("NETAGENT_CONFIG"):
        path = Path(env["NETAGENT_CONFIG"])
    raw: dict[str, Any] = {}
    origin = "defaults"
    if path is not None:
        origin = str(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError([f"{path}: no such file"]) from None
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError([f"{path}: cannot read it: {e}"]) from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError([f"{path}: not valid TOML: {e}"]) from None
    problems: list[str] = []
    _apply_env(raw, env)
    _read_secret_files(raw, AgentConfig, (), problems)
    problems += [f"{origin}: {p}" for p in _unknown_keys(raw, AgentConfig, ())]
    try:
        config = AgentConfig.model_validate(raw)
    except ValidationError as e:
        # Unknown keys were reported above, with the keys that were expected instead.
        problems += [
            f"{origin}: {_describe(err)}" for err in e.errors() if err["type"] != "extra_forbidden"
        ]
    if problems:
        raise ConfigError(problems)
    config._source = path
    return config


def _apply_env(raw: dict[str, Any], env: Mapping[str, str]) -> None:
    """NETAGENT_A__B__C=value sets raw[a][b][c]; '[..]'/'{..}' values are parsed as JSON."""
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        parts = [p.lower() for p in name[len(ENV_PREFIX):].split("__")]
        node = raw
        for p in parts[:-1]:
            node = node.setdefault(p.replace("_", "-") if p in _ROLE_KEYS else p, {})
        parsed: Any = value
        if value[:1] in "[{":
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError:
                parsed = value
        node[parts[-1]] = parsed


_ROLE_KEYS = {r.value.replace("-", "_") for r in Role}


def _read_secret_files(
    node: dict[str, Any], model: type[BaseModel] | None, where: tuple[str, ...],
    problems: list[str],
) -> None:
    """`token_file = "/run/secrets/x"` becomes `token = <file content without final newline>`.

    Only where the section has a `token` key and no `token_file` key of its own (a section
    that reads its files itself, or a path that is not a secret, is left alone). Lists of
    sections (`[[notify.webhooks]]`) are walked too; a file for a table key (`headers`)
    holds one `Name: value` per line.
    """
    fields = model.model_fields if model is not None else {}
    for key in list(node):
        value = node[key]
        if isinstance(value, dict):
            _read_secret_files(value, _submodel(fields.get(key)), (*where, key), problems)
            continue
        if isinstance(value, list):
            item = _submodel(fields.get(key), inside_list=True)
            for i, element in enumerate(value):
                if isinstance(element, dict):
                    _read_secret_files(element, item, (*where, f"{key}[{i}]"), problems)
            continue
        target = key.removesuffix("_file")
        if target == key or key in fields or target not in fields or not isinstance(value, str):
            continue
        dotted = ".".join((*where, key))
        if target in node:
            problems.append(f"{dotted}: give either {target} or {key}, not both")
            continue
        try:
            text = Path(value).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as e:
            problems.append(f"{dotted}: cannot read the secret file {value!r}: {e.strerror}")
            continue
        if _is_table(fields[target]):
            table, bad = _name_value_lines(text)
            if bad:  # the line number only: the line itself may hold the secret
                problems.append(f"{dotted}: line {bad} of {value!r} is not 'Name: value'")
                continue
            node[target] = table
        else:
            node[target] = text
        del node[key]


def _is_table(info: Any) -> bool:
    return get_origin(getattr(info, "annotation", None)) is dict


def _name_value_lines(text: str) -> tuple[dict[str, str], int]:
    """`Name: value` lines (blank lines skipped) -> (table, 0), or ({}, bad line number)."""
    table: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, sep, val = line.partition(":")
        if not sep or not name.strip():
            return {}, n
        table[name.strip()] = val.strip()
    return table, 0


def _submodel(info: Any, inside_list: bool = False) -> type[BaseModel] | None:
    """The section model of a field, also through `Model | None` (or `list[Model]`)."""
    sub = getattr(info, "annotation", None)
    if inside_list:
        sub = next(iter(get_args(sub)), None) if get_origin(sub) is list else None
    options = get_args(sub) if get_origin(sub) in (Union, UnionType) else ()
    for candidate in (sub, *options):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _unknown_keys(node: Any, model: type[BaseModel], where: tuple[str, ...]) -> list[str]:
    """Misspelt keys, also inside sections whose owners' models tolerate extras."""
    if not isinstance(node, dict):
        return []
    out: list[str] = []
    fields = model.model_fields
    for key, value in node.items():
        dotted = ".".join((*where, key))
        if key not in fields:
            out.append(f"{dotted}: unknown key (expected one of: {', '.join(sorted(fields))})")
            continue
        sub = _submodel(fields[key])
        if sub is not None:
            out += _unknown_keys(value, sub, (*where, key))
    return out


def _describe(err: Any) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    msg = err["msg"]
    if not any(w in loc.lower() for w in _SECRET_WORDS) and err["type"] != "missing":
        got = repr(err.get("input"))
        msg += f" (got {got[:60]})"
    return f"{loc}: {msg}"
