apr list --json
