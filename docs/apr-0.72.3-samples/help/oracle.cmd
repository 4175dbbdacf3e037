apr oracle --help
