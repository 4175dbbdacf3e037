apr rosetta --help
