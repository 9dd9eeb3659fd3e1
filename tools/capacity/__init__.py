"""`make capacity`: the concurrency & scaling report (build/capacity/report.md and .html).

`assumptions` holds the prices and quotas with their sources, `stack` reads the stack's configuration from
Terraform (a plan of the root stack, or a plan or state JSON you give it), `profile` the measured cost per image
(`make bench`'s, modelled by tools.bench.cost), `model` applies Little's law and the quotas, `report` writes the
pages with their chart, `cli` is the command.
"""
