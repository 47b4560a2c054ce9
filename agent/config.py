"""The agent's configuration: one TOML file, environment overrides, secrets from files.

Every package owns its section's model (next to its code); this module composes them into
`AgentConfig` and adds the daemon's own sections (`[agent]`, `[jobs.*]`, `[roles.*]`,
`[health]`). `load_config` is the one way in, for the daemon and every command.

Where the file is: `--config` (the `path` argument), else `$NETAGENT_CONFIG`, else the
first of `CONFIG_SEARCH_PATH` that exists; none: the embedded default, the bundled
sample. Precedence, lowest first: model defaults, the file, `<key>_file` keys (the value
read from a file), environment variables `NETAGENT_<SECTION>__<KEY>` (nested keys joined
by `__`, tables and lists as JSON, lists of plain values also comma-separated). Every
error names its origin (`file:line` and key, or the variable) and never echoes a secret
(netagent.agent.secrets); netagent.agent.config_sources reads, netagent.agent.config_walk checks and
fills in.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from netagent.agent import config_sources as sources
from netagent.agent import config_walk as walk
from netagent.agent.alerts import AlertsConfig
from netagent.agent.config_layers import Layers, Loc, SecretFile
from netagent.agent.inventory_sources import INVENTORY_SOURCES
from netagent.agent.notify import NotifyConfig
from netagent.agent.paths import default_data_dir
from netagent.agent.secrets import secret_named
from netagent.agent.shard import Shard
from netagent.collectors.icmp import IcmpConfig
from netagent.collectors.influx import InfluxConfig
from netagent.collectors.snmp import SnmpConfig
from netagent.collectors.spool import SpoolConfig
from netagent.geo.coverage_config import CoverageConfig
from netagent.inventory.model import Role
from netagent.inventory.netbox import NetBoxConfig

ENV_PREFIX = "NETAGENT_"
# Looked at, in order, when neither --config nor $NETAGENT_CONFIG names a file.
CONFIG_SEARCH_PATH: tuple[Path, ...] = (Path("/etc/netagent/netagent.toml"),)
# What commands print (and put in --json as "inventory") when they run on the sample.
SAMPLE_LABEL = "bundled-sample"
SAMPLE_NOTICE = (
    "no configuration file (--config, $NETAGENT_CONFIG, /etc/netagent/netagent.toml): "
    "running on the bundled sample inventory, invented data"
)


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
        description="Inventory files or directories (YAML/CSV/GeoJSON). Required with a"
        " configuration file, unless source = 'netbox'; the bundled Reggio Emilia sample"
        " runs only when there is no configuration file at all.",
        examples=[["/etc/netagent/inventory"]],
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
    quartieri_boundary: str = Field(
        default="",
        description="The comune's boundary the quartiere polygons are checked against (gaps,"
        " overlaps, polygons outside it): a GeoJSON or Shapefile; empty: the bundled Reggio"
        " Emilia boundary, for polygons that lie over Reggio Emilia only; 'none': no such"
        " check (quartieri that cover only part of the comune).",
    )
    source: str = Field(
        default="files",
        description="'files': the inventory files are the truth, and the netbox job pushes"
        " them to NetBox (when [netbox] url is set); 'netbox': the devices to poll are pulled"
        " from NetBox at start, at SIGHUP and by every netbox job; or the name of an"
        " installed inventory source plugin (README, 'Extending netagent').",
    )
    name: str = Field(
        default="",
        description="This agent's name, the `agent` tag of its own health points (job"
        " timings, spool depth), so several agents writing one InfluxDB (shards, an HA"
        " pair) keep them apart; empty: the host's name.",
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
    shared_jobs_shard: int = Field(
        default=0,
        ge=0,
        description="With shards: the shard (K of K/N) that alone runs the jobs every agent"
        " would do alike: coverage and the NetBox push (a NetBox pull runs on every shard).",
    )
    remote_state_max_age_s: float = Field(
        default=120.0,
        gt=0,
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
        default=10.0,
        gt=0,
        description="On SIGTERM, how long in-flight polls and the last spool flush may take"
        " before they are cut.",
    )

    @field_validator("source")
    @classmethod
    def _installed_source(cls, v: str) -> str:
        return INVENTORY_SOURCES.installed(v)

    @field_validator("shard")
    @classmethod
    def _shard_valid(cls, v: str) -> str:
        Shard.parse(v)
        return v.strip()

    def boundary(self) -> Path | bool:
        """`quartieri_boundary` as `inventory_source.load` takes it."""
        text = self.quartieri_boundary.strip()
        if not text:
            return True
        return False if text.lower() == "none" else Path(text)

    def bundled_sample(self) -> bool:
        """The embedded default, the bundled sample lab: no configuration file, and no
        inventory nor NetBox source in the environment (load_config refuses a file that
        names neither)."""
        return not self.inventory and self.source == "files"

    def inventory_label(self) -> str:
        """What the inventory is, for a command's output: SAMPLE_LABEL on the sample."""
        if self.bundled_sample():
            return SAMPLE_LABEL
        if self.source != "files":  # netbox, or an installed plugin's source
            return self.source
        return ", ".join(str(p) for p in self.inventory)

    def resolved_data_dir(self) -> Path:
        if self.data_dir is not None:
            return self.data_dir
        if state := os.environ.get("STATE_DIRECTORY"):  # set by systemd's StateDirectory=
            return Path(state.split(":")[0])
        return default_data_dir()

    def spool_path(self) -> Path:
        """The durable sample store (netagent.collectors.spool) inside the data directory."""
        return self.resolved_data_dir() / "spool.sqlite"


class JobSettings(_Section):
    enabled: bool = Field(default=True, description="Run this job at all.")
    interval_s: float = Field(gt=0, description="Seconds between two runs.")
    jitter_s: float = Field(
        default=0.0,
        ge=0,
        description="Each run starts up to this many seconds late, at random, so that several"
        " agents (or jobs) do not fire in lockstep.",
    )
    misfire_grace_s: float | None = Field(
        default=None,
        gt=0,
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
    failed_runs: int = Field(
        default=3,
        ge=1,
        description="/healthz fails when a job failed this many runs in a row.",
    )
    influx_refused_s: float = Field(
        default=300.0,
        gt=0,
        description="/healthz fails when InfluxDB has refused every write for this long.",
    )
    stale_after_intervals: float = Field(
        default=3.0,
        gt=0,
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


class AgentConfig(BaseSettings):
    """The whole configuration. `AgentConfig()` is the defaults only: the file and the
    environment are read by load_config, which also says where each value came from."""

    model_config = SettingsConfigDict(
        extra="forbid",
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        case_sensitive=False,
        env_ignore_empty=True,
        validate_default=False,
    )

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
    _layers: Layers = PrivateAttr(default_factory=Layers)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)  # load_config reads the file and the environment

    @property
    def warnings(self) -> list[str]:
        """Accepted, but worth fixing: inline secrets, secret files others can read."""
        return list(self._layers.warnings)

    @property
    def secret_files(self) -> list[SecretFile]:
        """The `<key>_file` secrets read, for preflight to list."""
        return list(self._layers.secret_files)

    def where(self, key: str | Loc) -> str:
        """Where a key's value came from ('file:line', a variable), '' if a default.
        `key`: dotted ('influxdb.url'), or its parts when a name may hold a dot."""
        return self._layers.given(tuple(key.split(".")) if isinstance(key, str) else key)

    def redact(self, text: str) -> str:
        """The text with every secret this configuration holds masked."""
        return self._layers.redact(text)

    @property
    def source(self) -> Path | None:
        """The file this configuration was read from (SIGHUP re-reads it)."""
        return self._source

    def shard(self) -> Shard:
        return Shard.parse(self.agent.shard)

    def runs_shared_jobs(self) -> bool:
        """This agent's shard writes what every agent would write alike (coverage, the
        NetBox push): `[agent] shared_jobs_shard`."""
        return self.shard().index == self.agent.shared_jobs_shard

    def with_shard(self, text: str) -> AgentConfig:
        """A copy with agent.shard replaced (the --shard option wins over the file)."""
        try:
            Shard.parse(text)
        except ValueError as e:
            raise ConfigError([f"--shard: {e}"]) from None
        return self.model_copy(update={"agent": self.agent.model_copy(update={"shard": text})})

    def interval_for(self, job: str, role: Role) -> float:
        base: JobSettings = getattr(self.jobs, job)
        override = self.roles.get(role)
        value = getattr(override, f"{job}_interval_s", None) if override else None
        return float(value) if value is not None else base.interval_s


def find_config(path: Path | None, env: Mapping[str, str]) -> Path | None:
    """--config, else $NETAGENT_CONFIG, else the first file of CONFIG_SEARCH_PATH."""
    if path is not None:
        return path
    if env.get("NETAGENT_CONFIG"):
        return Path(env["NETAGENT_CONFIG"])
    return next((p for p in CONFIG_SEARCH_PATH if p.is_file()), None)


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> AgentConfig:
    """Find, read, merge and validate; raises ConfigError naming every problem at once."""
    env = os.environ if env is None else env
    given = path
    path = find_config(path, env)
    layers = Layers()
    raw: dict[str, Any] = {}
    if path is not None:
        from_file = sources.read_toml(path, layers)
        if from_file is None:
            named_by_env = given is None and env.get("NETAGENT_CONFIG") == str(path)
            raise ConfigError(
                [f"{p} (named by $NETAGENT_CONFIG)" if named_by_env else p for p in layers.problems]
            )
        walk.visit(from_file, AgentConfig, (), walk.inline_secrets(layers, path))
        walk.inline_target_secrets(from_file, layers, path)
        raw = from_file
    raw = sources.deep_update(raw, sources.read_env(AgentConfig, env, layers), twins=True)
    for visitor in (
        walk.secret_files(layers),
        walk.collect_secrets(layers),
        walk.unknown_keys(layers),
    ):
        walk.visit(raw, AgentConfig, (), visitor)
    walk.target_files(raw, layers)
    config: AgentConfig | None = None
    try:
        config = AgentConfig.model_validate(raw)
    except ValidationError as e:
        for err in e.errors():
            if err["type"] != "extra_forbidden":  # reported above, with the expected keys
                # pydantic's "[key]": the table's key itself is wrong, not a value in it.
                loc = tuple(p for p in err["loc"] if p != "[key]")
                if not layers.follows_unread(loc, text := _describe(err)):
                    layers.problem(loc, text)
    if config is not None:
        _needs(config, path, layers)
    if layers.problems:
        raise ConfigError(layers.problems)
    assert config is not None
    config._source = path
    config._layers = layers
    return config


def _needs(config: AgentConfig, path: Path | None, layers: Layers) -> None:
    """What no single section can check: where the devices come from."""
    agent = config.agent
    if agent.source == "netbox" and not config.netbox.url:
        layers.problem(
            ("agent", "source"),
            "source = 'netbox' needs [netbox] url (and token_file or NETAGENT_NETBOX__TOKEN)",
        )
    if path is not None and agent.source == "files" and not agent.inventory:
        layers.problem(
            ("agent", "inventory"),
            "no inventory: name the inventory files or"
            ' directories (inventory = ["/etc/netagent/inventory"]), or set'
            ' source = "netbox"; the bundled sample runs only without a'
            " configuration file",
        )


def _describe(err: Any) -> str:
    """pydantic's message, with the input only when it is a plain, non-secret value."""
    loc: Loc = err["loc"]
    msg = str(err["msg"]).removeprefix("Value error, ")
    given = err.get("input")
    secret = any(secret_named(str(p)) or "url" in str(p) for p in loc)  # a URL may hold one
    if (
        isinstance(given, str | int | float)
        and err["type"] != "missing"
        and not secret
        and "got " not in msg
    ):
        msg += f" (got {str(repr(given))[:60]})"
    return msg
