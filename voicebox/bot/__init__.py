"""The conversation engine: flows in, replies out; it never sends and never stores."""
