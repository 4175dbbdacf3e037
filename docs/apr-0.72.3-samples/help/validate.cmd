apr validate --help
