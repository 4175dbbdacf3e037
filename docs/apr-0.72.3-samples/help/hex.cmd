apr hex --help
