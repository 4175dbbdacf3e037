apr check --help
