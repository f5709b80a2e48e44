"""One module per ``dataproduct`` subcommand; each defines ``register(subparsers)``."""
