"""Demo code: the bundled sample's lab namespace, simulated SNMP agents and generator.

None of it is on the production path: the daemon imports this package only when it runs
on the bundled sample (no configuration file, or `run --lab`), so an operator's own
inventory never starts a simulated agent or a lab namespace.
"""
