"""One module per kind of AWS resource: its desired state, how to read, plan, delete and print it."""
