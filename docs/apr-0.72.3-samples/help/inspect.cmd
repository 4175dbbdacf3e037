apr inspect --help
