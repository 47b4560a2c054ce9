"""Probes (ICMP, SNMP), device profiles, counter-to-rate logic, the spool and writers."""
