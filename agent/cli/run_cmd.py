"""`netagent run --once`: one cycle over the inventory, results stored, status printed.

The cycle is ICMP for every device, then SNMP for those that answered (a device that does
not ping is not asked: it would only cost its deadline). On the bundled sample the SNMP
agents are simulated (`netagent.agent.demo.lab.simulated_snmp`), like the lab's addresses."""

from __future__ import annotations

import asyncio
import logging
from contextlib import ExitStack
from pathlib import Path

import typer

from netagent.agent import runtime
from netagent.agent.cli import common, datadir, options, snmp_view
from netagent.agent.cli.inventory_cmd import load_configured_or_exit
from netagent.agent.cli.status_view import print_states
from netagent.agent.config import AgentConfig, ConfigError
from netagent.agent.daemon import log_config_warnings, run_daemon
from netagent.agent.demo import lab
from netagent.agent.health import Health
from netagent.agent.services import SNMP_STATE_FILE
from netagent.collectors.icmp import IcmpPermissionError, IcmpProber
from netagent.collectors.icmp.targets import targets_from_inventory
from netagent.collectors.netns import NETNS_DIR, NetnsError
from netagent.collectors.snmp import PollOutcome, SnmpPoller, SnmpTarget
from netagent.collectors.snmp import targets_from_inventory as snmp_targets
from netagent.collectors.spool import Spool
from netagent.inventory.model import Inventory
from netagent.inventory.sample import LAB_FAULTS_PATH

log = logging.getLogger(__name__)


def run_once(
    once: bool = typer.Option(
        False, "--once", help="One ICMP + SNMP cycle, print the states, exit."
    ),
    config: Path | None = options.ConfigOpt,
    inventory: list[Path] | None = options.InventoryOpt,
    quartieri: Path | None = options.QuartieriOpt,
    data_dir: Path | None = options.DataDirOpt,
    use_lab: bool | None = typer.Option(
        None,
        "--lab/--no-lab",
        help="Poll the sample from its demo lab namespace, where "
        "some devices are down (--once: on by default for the bundled sample when root; "
        "the daemon: only with --lab).",
    ),
    json_out: bool = options.JsonOpt,
    shard: str | None = typer.Option(
        None,
        "--shard",
        metavar="K/N",
        help="Poll only this agent's share of the devices (0-based K).",
    ),
) -> None:
    """Without --once: the daemon (scheduled polls, alerts, sync, coverage, flush) until
    SIGTERM. With --once: probe every device by ICMP, read those that answer by SNMP,
    keep the results, print the state and what SNMP read per quartiere; exit 1 when a
    device is down."""
    cfg = options.configured(config, data_dir, inventory, quartieri)
    if shard is not None:
        try:
            cfg = cfg.with_shard(shard)
        except ConfigError as e:
            common.err.print(f"config error: {e.problems[0]}", markup=False)
            raise typer.Exit(common.ExitCode.USAGE) from None
    sample = options.is_sample(cfg)
    if use_lab and not sample:
        common.err.print(
            "error: --lab runs the bundled sample only: unset [agent] inventory "
            "and source, or drop --lab",
            markup=False,
        )
        raise typer.Exit(common.ExitCode.USAGE)
    if not once:  # the daemon never builds the lab unless asked: it is the production path
        datadir.preflight(cfg)
        raise typer.Exit(run_daemon(cfg, demo_lab=use_lab is True))
    log_config_warnings(cfg)
    inv = load_configured_or_exit(cfg)
    netns = cfg.agent.netns or None
    if netns is not None:
        if use_lab:
            common.err.print(
                f"error: --lab and [agent] netns = {netns!r}: the lab is a "
                "namespace of its own; give one or the other",
                markup=False,
            )
            raise typer.Exit(common.ExitCode.USAGE)
        if not (NETNS_DIR / netns).exists():  # never probe from the host's instead
            common.err.print(
                f"error: [agent] netns = {netns!r}: no such network namespace "
                f"({NETNS_DIR / netns}): create it (ip netns add {netns}) or fix "
                "the configuration; nothing was probed",
                markup=False,
            )
            raise typer.Exit(common.ExitCode.FAILED)
        use_lab = False
    if use_lab is None:
        use_lab = sample and lab.can_build() is None
        if sample and not use_lab:
            common.err.print(
                f"note: {lab.can_build()}; probing the host's loopback, where "
                "every sample device answers"
            )
    with datadir.writer(cfg) as spool_path, datadir.open_spool(cfg, spool_path) as spool:
        outcomes, skipped, snmp = _cycle(cfg, inv, spool, sample, use_lab)
        summary = snmp_view.summarise(
            outcomes, {t.name: t.tags["quartiere"] for t in snmp}, skipped
        )
        extra = options.tagged(cfg, {"snmp": summary} if snmp else {})
        code = print_states(spool, inv, json_out, extra)
    if snmp and not json_out:
        common.out.print(snmp_view.table(summary))
    raise typer.Exit(code)


def _cycle(
    cfg: AgentConfig, inv: Inventory, spool: Spool, sample: bool, use_lab: bool
) -> tuple[list[PollOutcome], list[str], list[SnmpTarget]]:
    """ICMP for every device, then SNMP for those that answered, all stored in `spool`;
    sockets opened in [agent] netns (or the demo lab's), never the host's instead."""
    devices = cfg.shard().select_devices(inv.polled_devices(), cfg.agent.shard_by)
    names = {d.name for d in devices}
    targets = targets_from_inventory(inv, devices)
    snmp = (
        [t for t in snmp_targets(inv, cfg.snmp) if t.name in names] if cfg.jobs.snmp.enabled else []
    )
    with ExitStack() as stack:
        netns = cfg.agent.netns or None
        try:
            if use_lab:
                netns = stack.enter_context(
                    lab.lab_namespace(lab.lab_answering(inv, LAB_FAULTS_PATH))
                )
            if sample and snmp:
                stack.enter_context(lab.simulated_snmp(inv, netns))
        except lab.LabUnavailable as e:
            common.err.print(f"[red]cannot build the demo lab[/]: {e}")
            raise typer.Exit(common.ExitCode.FAILED) from e
        try:
            prober = IcmpProber(cfg.icmp, netns=netns)
            stack.callback(prober.close)
            # Counters kept beside the spool: a second run --once gives rates.
            poller = SnmpPoller(
                cfg.snmp, netns=netns, state_path=spool.path.parent / SNMP_STATE_FILE
            )
            stack.callback(poller.close)

            # On the sample every sample says so, as in the daemon (runtime.SAMPLE_TAG).
            store = runtime.SampleSink(spool, Health(), runtime.SAMPLE_TAG) if sample else spool

            async def cycle() -> tuple[list[PollOutcome], list[str]]:
                results = await runtime.icmp_cycle(prober, targets, store)
                up = {r.target.name for r in results if r.up}
                return await runtime.snmp_cycle(poller, snmp, store, up.__contains__)

            with (
                common.err.status(f"polling {len(targets)} devices…", spinner="dots")
                if common.show_progress()
                else ExitStack()
            ):
                outcomes, skipped = asyncio.run(cycle())
        except (IcmpPermissionError, NetnsError) as e:
            common.err.print(f"error: cannot probe: {e}", markup=False)
            raise typer.Exit(common.ExitCode.FAILED) from e
    return outcomes, skipped, snmp
