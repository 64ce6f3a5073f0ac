"""`python -m ao_collector` is `ao-collector`."""

from ao_collector.cli import main

main()
