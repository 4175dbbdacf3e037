apr parity --help
