"""One router per resource; routes only translate HTTP to use cases and back."""
