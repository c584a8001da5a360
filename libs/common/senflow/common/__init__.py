"""Senflow's shared wire contracts: topic names, record schemas, headers and serialisation."""
