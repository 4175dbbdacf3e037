apr bench --help
