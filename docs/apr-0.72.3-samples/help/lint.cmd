apr lint --help
