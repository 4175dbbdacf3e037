apr qa --help
