apr --version --json
