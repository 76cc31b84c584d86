"""One script per paper table or figure; each declares what to run and calls the library."""
