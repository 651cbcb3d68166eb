"""The command line: ``ydsi`` and its subcommands (``ydsi --help`` lists them)."""
