"""The door: admission of scanned tickets, its store and facts, ticket codes and files, check-in views."""
