"""Validation: the checks declared once, and the engines that run them.

`catalogue` names every check code (its layer, title, rank, and whether it points at a descriptor property); `registry`
holds the cross-field and cross-table rules, declared as Ibis expressions in one module per table under `rules/`;
`engine` loads the tables into an Ibis backend (embedded DuckDB by default, Spark on request) and `runner` turns each rule's
failing rows into Problems. Rules never import an engine: they build expressions, and any Ibis backend runs them.
"""
