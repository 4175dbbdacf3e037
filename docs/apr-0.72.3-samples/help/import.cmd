apr import --help
