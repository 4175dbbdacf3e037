apr --help
