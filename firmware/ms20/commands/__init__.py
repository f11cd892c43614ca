"""The `ms20` command line: one module per subcommand."""
