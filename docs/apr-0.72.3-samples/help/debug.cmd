apr debug --help
