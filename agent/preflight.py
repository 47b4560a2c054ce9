"""`netagent config check`: what the daemon needs, checked before it starts.

The systemd unit runs it as ExecStartPre, so a bad configuration stops at the door with
its reasons in the journal instead of half-starting. Offline it checks: the configuration
(file, environment, secret files), the inventory loaded and validated, SNMP credentials
that name no device/role/tag, SNMP profiles (incl. `snmp.profiles_dir`) and the profiles
the inventory names, and that the data directory is writable. With `connect=True`,
netagent.agent.preflight_connect also reaches every configured server, read-only.

One `Check` per line: ✓ fine, ! a warning (accepted), ✗ a problem. `exit_code()`: 0 all
fine (warnings included), 1 a problem found, 3 a check could not run at all.
"""

from __future__ import annotations

import difflib
import functools
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from netagent.agent import extensions, inventory_source
from netagent.agent.checks import Check, Level, fail, ok, warn
from netagent.agent.config import SAMPLE_NOTICE, AgentConfig, ConfigError, load_config
from netagent.agent.config_layers import dotted
from netagent.agent.inventory_sources import INVENTORY_SOURCES
from netagent.agent.preflight_connect import connect_checks
from netagent.agent.secrets import mask_url
from netagent.collectors.netns import NETNS_DIR
from netagent.collectors.snmp.profiles import PROFILE_DIR, ProfileError, Profiles, load_profiles
from netagent.inventory.model import Inventory, Role
from netagent.inventory.netbox.client import NetBoxError, NetBoxRequestError


def preflight(
    path: Path | None, env: Mapping[str, str] | None = None, connect: bool = False
) -> list[Check]:
    """Every check, in order; stops after the configuration when it is invalid."""
    try:
        cfg = load_config(path, env)
    except ConfigError as e:
        return [fail(p) for p in e.problems]
    out = [
        ok(
            f"configuration {cfg.source} read"
            if cfg.source
            else "configuration: no file, the embedded default"
        )
    ]
    if cfg.agent.bundled_sample():
        out.append(warn(SAMPLE_NOTICE))
    out += [warn(w) for w in cfg.warnings]
    out += [ok(f"{s.key}: {s.path} read (mode {s.mode:04o})") for s in cfg.secret_files]
    steps: list[tuple[str, Callable[[AgentConfig], list[Check]]]] = [
        ("the installed extensions", extension_checks),
        ("the data directory", data_dir_checks),
        ("the network namespace", netns_checks),
        (
            "the inventory and the SNMP profiles",
            functools.partial(inventory_checks, connect=connect),
        ),
    ]
    if connect:
        steps.append(("the servers", connect_checks))
    for what, step in steps:
        out += guarded(cfg, what, step)
    return out


def guarded(cfg: AgentConfig, what: str, step: Callable[[AgentConfig], list[Check]]) -> list[Check]:
    """A check that crashes is reported (exit 3), its message cleared of secrets."""
    try:
        return step(cfg)
    except Exception as e:  # one line, not a traceback; the next check still runs
        return [Check(Level.BROKEN, cfg.redact(f"could not check {what}: {type(e).__name__}: {e}"))]


def extension_checks(cfg: AgentConfig) -> list[Check]:
    """What each seam has installed; a plugin that cannot be loaded is a warning (the
    configuration naming it is an error, reported with the configuration)."""
    return [ok(line) for line in extensions.installed()] + [
        warn(line) for line in extensions.broken()
    ]


def data_dir_checks(cfg: AgentConfig) -> list[Check]:
    where = cfg.where("agent.data_dir")
    label = f"data directory {cfg.agent.resolved_data_dir()}" + (f" ({where})" if where else "")
    directory = cfg.agent.resolved_data_dir()
    if directory.is_dir():
        try:
            with tempfile.TemporaryFile(dir=directory):
                pass
        except OSError as e:
            return [fail(f"{label}: not writable: {e.strerror}")]
        return [ok(f"{label} writable")]
    if directory.exists():
        return [fail(f"{label}: not a directory")]
    parent = next(p for p in directory.parents if p.exists())
    if os.access(parent, os.W_OK | os.X_OK):
        return [ok(f"{label}: will be created in {parent}")]
    return [fail(f"{label}: does not exist and {parent} is not writable")]


def netns_checks(cfg: AgentConfig) -> list[Check]:
    """`[agent] netns` names a namespace that exists: the daemon refuses to start without
    it (never polling from the host's instead), so the preflight says so first."""
    name = cfg.agent.netns
    if not name:
        return []
    where = cfg.where("agent.netns")
    at = f"{where}: " if where else ""
    if (NETNS_DIR / name).exists():
        return [ok(f"{at}agent.netns: namespace {name!r} exists")]
    return [
        fail(
            f"{at}agent.netns: namespace {name!r} does not exist ({NETNS_DIR / name}): "
            "create it (ip netns add) or unset agent.netns"
        )
    ]


def inventory_checks(cfg: AgentConfig, connect: bool = False) -> list[Check]:
    """Load the inventory as the daemon would (from NetBox only with --connect)."""
    out: list[Check] = []
    profiles, checks = profile_checks(cfg)
    out += checks
    agent = cfg.agent
    if agent.source == "netbox":
        if not connect:
            return [
                *out,
                ok(
                    f"inventory: pulled from NetBox {mask_url(cfg.netbox.url)} at"
                    " start (config check --connect pulls it now)"
                ),
            ]
        try:
            inv = inventory_source.from_netbox(cfg)
        except (NetBoxError, NetBoxRequestError, OSError, ValueError) as e:
            where = cfg.where("netbox.url")
            return [
                *out,
                fail(
                    cfg.redact(
                        f"{where + ': ' if where else ''}netbox.url: cannot"
                        f" pull the inventory from NetBox: {e}"
                    )
                ),
            ]
        return [*out, *inventory_consistency(cfg, inv, profiles)]
    if agent.source != "files":  # an installed plugin's source (netagent.agent.inventory_sources)
        if not connect:
            return [*out, ok(f"inventory: from the {agent.source!r} source at start")]
        try:
            inv = INVENTORY_SOURCES.get(agent.source)(cfg)
        except ValueError as e:
            return [*out, fail(cfg.redact(f"agent.source {agent.source!r}: {e}"))]
        return [*out, *inventory_consistency(cfg, inv, profiles)]
    if missing := [p for p in agent.inventory if not p.exists()]:  # at the key that names it
        where = cfg.where("agent.inventory")
        at = f"{where}: " if where else ""
        return [
            *out,
            *(fail(f"{at}agent.inventory: {p}: no such file or directory") for p in missing),
        ]
    # As the daemon loads them: the name field and the comune boundary the config names.
    result = inventory_source.load(
        agent.inventory, agent.quartieri, agent.quartieri_name_field, agent.boundary()
    )
    out += [fail(str(i)) for i in result.errors]
    out += [warn(str(i)) for i in result.warnings]
    if result.inventory is not None:
        out += inventory_consistency(cfg, result.inventory, profiles)
    return out


def inventory_consistency(
    cfg: AgentConfig, inv: Inventory, profiles: Profiles | None
) -> list[Check]:
    """What needs both the configuration and the inventory: credentials and profiles."""
    problems = credential_problems(cfg, inv)
    if profiles is not None:
        problems += [
            f"inventory: device {d.name!r}: snmp_profile {d.snmp_profile!r} is not a known"
            f" SNMP profile{_did_you_mean(d.snmp_profile, profiles.resolved)}"
            for d in inv.devices
            if d.snmp_profile and d.snmp_profile not in profiles
        ]
    label = cfg.agent.inventory_label()
    windows = [  # a window that never applies: its alerts go out during the works
        warn(
            f"{cfg.where('alerts.maintenance') or 'configuration'}: {key}: no {what} named "
            f"{name!r} in the inventory{_did_you_mean(name, known)}"
        )
        for key, what, name, known in inventory_source.unknown_maintenance(inv, cfg)
    ]
    head = [fail(p) for p in problems] or [
        ok(f"inventory {label}: {len(inv.devices)} device(s), {len(inv.sites)} site(s)")
    ]
    return [*head, *windows]


def credential_problems(cfg: AgentConfig, inv: Inventory) -> list[str]:
    """SNMP credentials given for a device, role or tag that does not exist: that device
    would silently get the default community (found by inventory_source's check), located
    at the file line or variable that set them."""
    out = []
    for u in inventory_source.unknown_credentials(inv, cfg.snmp):
        if u.idle_role:  # a real role no device has yet: nothing is misspelt
            continue
        loc = ("snmp", u.table, u.name)
        known = {r.value for r in Role} if u.kind == "role" else u.known
        hint = _did_you_mean(u.name, known)
        if u.kind == "device" and _folded(u.name) in {_folded(k) for k in known}:
            hint += (
                " (device names match exactly, case included; a variable name"
                " loses it: give NETAGENT_SNMP__DEVICE_CREDENTIALS as JSON)"
            )
        out.append(
            f"{cfg.where(loc) or 'configuration'}: {dotted(loc)}: no {u.kind} named "
            f"{u.name!r} in the inventory{hint}"
        )
    return out


def _folded(name: str) -> str:
    """A name as a variable name spells it: lower case, '-' as '_'."""
    return name.lower().replace("-", "_")


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    names = {_folded(k): k for k in known}
    close = difflib.get_close_matches(_folded(name), list(names), n=1, cutoff=0.6)
    return f"; did you mean {names[close[0]]!r}?" if close else ""


def profile_checks(cfg: AgentConfig) -> tuple[Profiles | None, list[Check]]:
    extra = cfg.snmp.profiles_dir
    where = cfg.where("snmp.profiles_dir")
    if extra is not None and not extra.is_dir():
        return None, [fail(f"{where}: snmp.profiles_dir: {extra} is not a directory")]
    try:
        profiles = load_profiles(PROFILE_DIR, *([extra] if extra else []))
    except ProfileError as e:
        return None, [fail(f"SNMP profiles: {e}")]
    out = [
        ok(
            f"SNMP profiles: {len(profiles.resolved)} loaded"
            + (f" (with {extra})" if extra else "")
        )
    ]
    if cfg.snmp.default_profile not in profiles:
        out.append(
            fail(
                f"{cfg.where('snmp.default_profile')}: snmp.default_profile: "
                f"{cfg.snmp.default_profile!r} is not a known SNMP profile"
                f"{_did_you_mean(cfg.snmp.default_profile, profiles.resolved)}"
            )
        )
    return profiles, out
