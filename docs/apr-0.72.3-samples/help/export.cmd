apr export --help
