"""One module per resource of the officer API."""
