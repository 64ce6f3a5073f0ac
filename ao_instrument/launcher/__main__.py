"""`python -m ao_instrument.launcher`: the same as `ao-instrument`."""

from ao_instrument.launcher.cli import main

main()
