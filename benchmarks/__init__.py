"""`make bench`: how fast the site reads a digit, from the model alone to HTTP through gunicorn."""
