apr list --help
