"""The conversation engine: pure decisions (`core`) and their I/O (`runner`)."""
