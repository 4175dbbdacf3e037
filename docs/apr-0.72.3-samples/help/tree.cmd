apr tree --help
